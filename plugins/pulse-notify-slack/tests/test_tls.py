"""The Slack notifier passes the TLS suite every notifier passes."""

from __future__ import annotations

from typing import Any

from pulse_notify_slack import SlackNotifier

from pulse_core.testing.notifier_tls import NotifierTlsConformance
from pulse_core.testing.receivers import SlackReceiver


class TestSlackTls(NotifierTlsConformance):
    notifier_class = SlackNotifier
    receiver_class = SlackReceiver

    def options(self, receiver: SlackReceiver) -> dict[str, Any]:
        return {"webhookUrl": receiver.url + "/services/T0/B0/tls"}

    def accepted(self, receiver: SlackReceiver) -> int:
        return len(receiver.messages)
