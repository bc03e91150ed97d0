"""Pulse notifier plugin: JSON webhooks, spoken in the dialects other distributions register."""

from pulse_notify_webhook.notifier import WebhookNotifier
from pulse_notify_webhook.options import WebhookOptions

__all__ = ["WebhookNotifier", "WebhookOptions"]
