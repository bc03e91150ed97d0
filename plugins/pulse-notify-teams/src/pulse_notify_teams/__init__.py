"""Pulse notifier plugin: Microsoft Teams webhooks."""

from pulse_notify_teams.notifier import TeamsNotifier
from pulse_notify_teams.options import TeamsOptions

__all__ = ["TeamsNotifier", "TeamsOptions"]
