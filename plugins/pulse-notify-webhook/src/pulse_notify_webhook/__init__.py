"""Pulse notifier plugin: JSON webhooks, with ServiceNow and Jira dialects."""

from pulse_notify_webhook.notifier import WebhookNotifier
from pulse_notify_webhook.options import WebhookOptions

__all__ = ["WebhookNotifier", "WebhookOptions"]
