"""The Splunk notifier passes the suite every notifier plugin passes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulse_notify_splunk import SplunkNotifier

from pulse_core.testing.notifier_conformance import NotifierConformance
from pulse_core.testing.receivers import Reply, SplunkReceiver


class TestSplunkConformance(NotifierConformance):
    notifier_class = SplunkNotifier

    @pytest.fixture
    def receiver(self) -> Iterator[SplunkReceiver]:
        with SplunkReceiver(token=self.secret) as receiver:
            yield receiver

    def options(self, receiver: SplunkReceiver) -> dict[str, Any]:
        return {"hecUrl": receiver.collector_url, "token": self.secret}

    def refuse_permanently(self, receiver: SplunkReceiver) -> str:
        receiver.token = "a-token-rotated-away"
        return "Invalid token (HEC code 4): check splunk.token"

    def refuse_for_now(self, receiver: SplunkReceiver) -> None:
        receiver.script(Reply(503, {"text": "Server is busy", "code": 9}))

    def accepted(self, receiver: SplunkReceiver) -> int:
        return len(receiver.events)
