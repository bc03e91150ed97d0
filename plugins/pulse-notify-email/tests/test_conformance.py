"""The email notifier passes the suite every notifier plugin passes."""

from __future__ import annotations

from typing import Any

import pytest
from pulse_notify_email import EmailNotifier

from pulse_core.testing.notifier_conformance import NotifierConformance

from .conftest import LOGIN, SmtpServer


class TestEmailConformance(NotifierConformance):
    notifier_class = EmailNotifier
    secret = (
        "Mail-Passw0rd-For-Tests"  # the test server's password: it must stay hidden
    )

    @pytest.fixture
    def receiver(self, smtp_server: SmtpServer) -> SmtpServer:
        return smtp_server

    def options(self, receiver: SmtpServer) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": receiver.port,
            "cafile": receiver.cafile,
            "username": LOGIN,
            "password": self.secret,
            "from": "pulse@plant.example",
            "to": ["ops@plant.example"],
        }

    def refuse_permanently(self, receiver: SmtpServer) -> str:
        receiver.script("554 5.7.1 Message rejected as spam")
        return "554 5.7.1 Message rejected as spam"

    def refuse_for_now(self, receiver: SmtpServer) -> None:
        receiver.script("451 4.3.0 Try again later")

    def accepted(self, receiver: SmtpServer) -> int:
        return len(receiver.emails)
