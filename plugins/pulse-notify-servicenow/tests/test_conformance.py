"""The webhook notifier speaking ServiceNow passes the suites every notifier passes, and
takes the dialect's own key, ``resolve``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from pulse_notify_servicenow import ServiceNowDialect
from pulse_notify_webhook import WebhookNotifier, WebhookOptions
from pydantic import ValidationError

from pulse_core.contract import DIALECTS_CONTEXT, State
from pulse_core.testing.notifier_conformance import (
    LOOPBACK_POLICY,
    NotifierConformance,
    status_change_notification,
)
from pulse_core.testing.notifier_tls import NotifierTlsConformance
from pulse_core.testing.receivers import Reply, ServiceNowReceiver

SPEAKING_SERVICENOW = {DIALECTS_CONTEXT: {"servicenow": ServiceNowDialect()}}


class TestServiceNowConformance(NotifierConformance):
    notifier_class = WebhookNotifier
    validation_context = SPEAKING_SERVICENOW

    @pytest.fixture
    def receiver(self) -> Iterator[ServiceNowReceiver]:
        with ServiceNowReceiver(authorization=f"Basic {self.secret}") as receiver:
            yield receiver

    def options(self, receiver: ServiceNowReceiver) -> dict[str, Any]:
        return {
            "url": receiver.incident_url,
            "headers": {"Authorization": f"Basic {self.secret}"},
            "body": {"short_description": "{{message}}"},
        }

    def refuse_permanently(self, receiver: ServiceNowReceiver) -> str:
        error = {"message": "Invalid table", "detail": "incident is not writable"}
        receiver.script(Reply(400, {"error": error, "status": "failure"}))
        return "Invalid table: incident is not writable"

    def refuse_for_now(self, receiver: ServiceNowReceiver) -> None:
        receiver.script(Reply(503, "instance hibernating"))

    def accepted(self, receiver: ServiceNowReceiver) -> int:
        return len(receiver.incidents)


class TestServiceNowTls(NotifierTlsConformance):
    notifier_class = WebhookNotifier
    receiver_class = ServiceNowReceiver
    validation_context = SPEAKING_SERVICENOW

    def options(self, receiver: ServiceNowReceiver) -> dict[str, Any]:
        return {"url": receiver.incident_url}

    def accepted(self, receiver: ServiceNowReceiver) -> int:
        return len(receiver.incidents)


async def test_resolve_is_the_dialects_key_set_on_the_incident_at_recovery() -> None:
    block = {
        "body": {"short_description": "{{message}}"},
        "resolve": {"state": "7", "close_notes": "{{endpoint.name}} is back"},
    }
    with ServiceNowReceiver() as receiver:
        options = WebhookOptions.model_validate(
            {"url": receiver.incident_url, **block}, context=SPEAKING_SERVICENOW
        )
        notifier = WebhookNotifier("sn", options, LOOPBACK_POLICY)
        opened = await notifier.deliver(status_change_notification())
        recovery = dataclasses.replace(
            status_change_notification(State.UP), reference=opened.reference
        )
        resolved = await notifier.deliver(recovery)
        await notifier.close()
    (incident,) = receiver.incidents.values()
    assert resolved.detail == f"incident {incident['number']} updated"
    assert (incident["state"], incident["close_notes"]) == ("7", "PLC 1 is back")


def test_a_broken_resolve_template_is_a_configuration_error_naming_its_key() -> None:
    with pytest.raises(ValidationError, match=r"resolve\.close_notes: "):
        WebhookOptions.model_validate(
            {
                "url": "https://company.service-now.example/api/now/table/incident",
                "resolve": {"close_notes": "{{#eq status 'online'}}back"},
            },
            context=SPEAKING_SERVICENOW,
        )
