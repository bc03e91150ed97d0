"""The webhook notifier passes the TLS suite every notifier passes."""

from __future__ import annotations

from typing import Any

from pulse_notify_webhook import WebhookNotifier

from pulse_core.testing.notifier_tls import NotifierTlsConformance
from pulse_core.testing.receivers import Receiver


class TestWebhookTls(NotifierTlsConformance):
    notifier_class = WebhookNotifier
    receiver_class = Receiver

    def options(self, receiver: Receiver) -> dict[str, Any]:
        return {"url": receiver.url + "/hooks/pulse"}

    def accepted(self, receiver: Receiver) -> int:
        return len(receiver.requests)
