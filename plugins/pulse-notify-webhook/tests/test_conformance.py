"""The webhook notifier passes the suite every notifier plugin passes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulse_notify_webhook import WebhookNotifier

from pulse_core.testing.notifier_conformance import NotifierConformance
from pulse_core.testing.receivers import ReceivedRequest, Receiver, Reply


class AcceptingReceiver(Receiver):
    """The plain receiver, counting what it accepted (scripted refusals are not handled)."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted: list[ReceivedRequest] = []

    def handle(self, request: ReceivedRequest) -> Reply:
        self.accepted.append(request)
        return super().handle(request)


class TestWebhookConformance(NotifierConformance):
    notifier_class = WebhookNotifier

    @pytest.fixture
    def receiver(self) -> Iterator[AcceptingReceiver]:
        with AcceptingReceiver() as receiver:
            yield receiver

    def options(self, receiver: Receiver) -> dict[str, Any]:
        return {
            "url": f"{receiver.url}/hooks/{self.secret}",
            "headers": {"Authorization": f"Bearer {self.secret}"},
            "body": {"text": "{{message}}"},
        }

    def refuse_permanently(self, receiver: Receiver) -> str:
        receiver.script(Reply(400, "body rejected: text is required"))
        return "body rejected: text is required"

    def refuse_for_now(self, receiver: Receiver) -> None:
        receiver.script(Reply(503, "busy"))

    def accepted(self, receiver: AcceptingReceiver) -> int:
        return len(receiver.accepted)
