"""The Teams notifier passes the suite every notifier plugin passes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulse_notify_teams import TeamsNotifier

from pulse_core.testing.notifier_conformance import NotifierConformance
from pulse_core.testing.receivers import Reply, TeamsReceiver


class TestTeamsConformance(NotifierConformance):
    notifier_class = TeamsNotifier

    @pytest.fixture
    def receiver(self) -> Iterator[TeamsReceiver]:
        with TeamsReceiver() as receiver:
            yield receiver

    def options(self, receiver: TeamsReceiver) -> dict[str, Any]:
        return {
            "webhookUrl": f"{receiver.url}/workflows/abc/triggers/manual/paths/invoke"
            f"?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={self.secret}"
        }

    def refuse_permanently(self, receiver: TeamsReceiver) -> str:
        receiver.script(
            Reply(
                404,
                {
                    "error": {
                        "code": "WorkflowNotFound",
                        "message": "The workflow was not found.",
                    }
                },
            )
        )
        return "The workflow was not found."

    def refuse_for_now(self, receiver: TeamsReceiver) -> None:
        receiver.script(
            Reply(429, {"error": {"code": "TooManyRequests", "message": "slow down"}})
        )

    def accepted(self, receiver: TeamsReceiver) -> int:
        return len(receiver.messages)
