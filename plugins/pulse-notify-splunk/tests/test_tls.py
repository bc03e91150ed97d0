"""The Splunk notifier passes the TLS suite every notifier passes."""

from __future__ import annotations

from typing import Any

from pulse_notify_splunk import SplunkNotifier

from pulse_core.testing.notifier_tls import NotifierTlsConformance
from pulse_core.testing.receivers import SplunkReceiver


class TestSplunkTls(NotifierTlsConformance):
    notifier_class = SplunkNotifier
    receiver_class = SplunkReceiver

    def options(self, receiver: SplunkReceiver) -> dict[str, Any]:
        return {"hecUrl": receiver.collector_url, "token": receiver.token}

    def accepted(self, receiver: SplunkReceiver) -> int:
        return len(receiver.events)
