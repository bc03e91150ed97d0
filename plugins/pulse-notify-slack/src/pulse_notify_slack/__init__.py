"""Pulse notifier plugin: Slack incoming webhooks."""

from pulse_notify_slack.notifier import SlackNotifier
from pulse_notify_slack.options import SlackOptions

__all__ = ["SlackNotifier", "SlackOptions"]
