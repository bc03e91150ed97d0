"""Pulse notifier plugin: email over SMTP."""

from pulse_notify_email.notifier import EmailNotifier
from pulse_notify_email.options import EmailOptions

__all__ = ["EmailNotifier", "EmailOptions"]
