"""The Slack notifier passes the suite every notifier plugin passes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulse_notify_slack import SlackNotifier

from pulse_core.testing.notifier_conformance import NotifierConformance
from pulse_core.testing.receivers import Reply, SlackReceiver


class TestSlackConformance(NotifierConformance):
    notifier_class = SlackNotifier

    @pytest.fixture
    def receiver(self) -> Iterator[SlackReceiver]:
        with SlackReceiver() as receiver:
            yield receiver

    def options(self, receiver: SlackReceiver) -> dict[str, Any]:
        return {"webhookUrl": f"{receiver.url}/services/T0/B0/{self.secret}"}

    def refuse_permanently(self, receiver: SlackReceiver) -> str:
        receiver.script(Reply(404, "channel_not_found"))
        return "channel_not_found"

    def refuse_for_now(self, receiver: SlackReceiver) -> None:
        receiver.script(Reply(429, "rate_limited", {"Retry-After": "1"}))

    def accepted(self, receiver: SlackReceiver) -> int:
        return len(receiver.messages)
