"""The webhook notifier speaking Jira passes the suites every notifier passes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulse_notify_jira import JiraDialect
from pulse_notify_webhook import WebhookNotifier

from pulse_core.contract import DIALECTS_CONTEXT
from pulse_core.testing.notifier_conformance import NotifierConformance
from pulse_core.testing.notifier_tls import NotifierTlsConformance
from pulse_core.testing.receivers import JiraReceiver, Reply

SPEAKING_JIRA = {DIALECTS_CONTEXT: {"jira": JiraDialect()}}
BODY = {
    "fields": {
        "project": {"key": "NET"},
        "summary": "{{message}}",
        "description": "{{message}}",
        "issuetype": {"name": "Bug"},
    }
}


class TestJiraConformance(NotifierConformance):
    notifier_class = WebhookNotifier
    validation_context = SPEAKING_JIRA

    @pytest.fixture
    def receiver(self) -> Iterator[JiraReceiver]:
        with JiraReceiver(authorization=f"Basic {self.secret}") as receiver:
            yield receiver

    def options(self, receiver: JiraReceiver) -> dict[str, Any]:
        return {
            "url": receiver.issue_url(3),
            "headers": {"Authorization": f"Basic {self.secret}"},
            "body": BODY,
        }

    def refuse_permanently(self, receiver: JiraReceiver) -> str:
        receiver.script(
            Reply(400, {"errorMessages": [], "errors": {"project": "valid project is required"}})
        )
        return "project: valid project is required"

    def refuse_for_now(self, receiver: JiraReceiver) -> None:
        receiver.script(Reply(503, "service unavailable"))

    def accepted(self, receiver: JiraReceiver) -> int:
        return len(receiver.issues)


class TestJiraTls(NotifierTlsConformance):
    notifier_class = WebhookNotifier
    receiver_class = JiraReceiver
    validation_context = SPEAKING_JIRA

    def options(self, receiver: JiraReceiver) -> dict[str, Any]:
        return {"url": receiver.issue_url(2), "body": BODY}

    def accepted(self, receiver: JiraReceiver) -> int:
        return len(receiver.issues)
