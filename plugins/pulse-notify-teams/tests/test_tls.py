"""The Teams notifier passes the TLS suite every notifier passes."""

from __future__ import annotations

from typing import Any

from pulse_notify_teams import TeamsNotifier

from pulse_core.testing.notifier_tls import NotifierTlsConformance
from pulse_core.testing.receivers import TeamsReceiver


class TestTeamsTls(NotifierTlsConformance):
    notifier_class = TeamsNotifier
    receiver_class = TeamsReceiver

    def options(self, receiver: TeamsReceiver) -> dict[str, Any]:
        return {"webhookUrl": f"{receiver.url}/workflows/abc/triggers/manual/paths/invoke?sig=x"}

    def accepted(self, receiver: TeamsReceiver) -> int:
        return len(receiver.messages)
