"""Pulse notifier plugin: Splunk HTTP Event Collector."""

from pulse_notify_splunk.notifier import SplunkNotifier
from pulse_notify_splunk.options import SplunkOptions

__all__ = ["SplunkNotifier", "SplunkOptions"]
