"""The generic webhook: injection-proof bodies, the outbound guard, redirects, test messages."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from pulse_notify_webhook import WebhookNotifier, WebhookOptions

from pulse_core.contract.outbound import OutboundPolicy, OutboundRefused
from pulse_core.notifier import DeliveryError, Notification
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.receivers import Receiver, Reply, ServiceNowReceiver
from pulse_core.testing.server import running_pulse

LOOPBACK_ALLOWED = OutboundPolicy(
    (ipaddress.ip_network("127.0.0.0/8"),), allow_plain_http=True
)
VARIABLES = {
    "endpoint": {"name": "PLC 1"},
    "status": "offline",
    "message": "PLC 1 is offline",
}


def notifier(
    url: str, policy: OutboundPolicy = LOOPBACK_ALLOWED, **options: object
) -> WebhookNotifier:
    return WebhookNotifier(
        "hook", WebhookOptions.model_validate({"url": url, **options}), policy
    )


async def test_an_endpoint_name_cannot_break_the_json_body(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    name = 'a"}, "x": {"'
    with Receiver() as receiver:
        text = yaml.safe_dump(
            {
                "version": 1,
                "defaults": {
                    "interval_seconds": 1,
                    "timeout_ms": 500,
                    "retries": 0,
                    "failure_threshold": 1,
                    "success_threshold": 1,
                },
                "groups": [{"id": "plant", "name": "Plant & Co"}],
                "targets": [
                    {
                        "type": "tcp",
                        "host": "127.0.0.1",
                        "port": tcp_listener.port,
                        "group": "plant",
                        "name": name,
                    }
                ],
                "notifiers": [
                    {
                        "name": "hook",
                        "webhook": {
                            "url": receiver.url,
                            "body": {
                                "title": "{{endpoint.name}} is {{status}}",
                                "group": "{{endpoint.group_name}}",
                            },
                        },
                    }
                ],
                "outbound": {
                    "allow_networks": ["127.0.0.0/8"],
                    "allow_plain_http": True,
                },
            }
        )
        async with running_pulse(text, tmp_path):
            await tcp_listener.stop()
            (request,) = await receiver.wait_for_requests(1)
    assert json.loads(request.body) == {
        "title": f"{name} is offline",
        "group": "Plant & Co",
    }


@pytest.mark.parametrize(
    "url", ["https://169.254.169.254/latest/meta-data", "http://127.0.0.1:9/x"]
)
async def test_refused_destinations_are_refused_before_connecting(url: str) -> None:
    with Receiver() as receiver:
        hook = notifier(
            url.replace(":9", f":{receiver.port}"),
            OutboundPolicy(allow_plain_http=True),
        )
        with pytest.raises(
            OutboundRefused, match="refused unless listed in outbound.allow_networks"
        ):
            await hook.deliver(Notification("1", "test", VARIABLES))
        await hook.close()
    assert receiver.requests == []


async def test_plain_http_is_refused_unless_allowed() -> None:
    policy = OutboundPolicy(allow_networks=LOOPBACK_ALLOWED.allow_networks)
    hook = notifier("http://127.0.0.1:9/x", policy)
    with pytest.raises(OutboundRefused, match="plain http is refused"):
        await hook.deliver(Notification("1", "test", VARIABLES))


async def test_redirects_are_not_followed() -> None:
    with Receiver() as receiver:
        receiver.script(Reply(302, "", {"Location": "http://169.254.169.254/"}))
        hook = notifier(receiver.url)
        with pytest.raises(
            DeliveryError, match="redirects to http://169.254.169.254/"
        ) as raised:
            await hook.deliver(Notification("1", "test", VARIABLES))
        await hook.close()
    assert raised.value.permanent and len(receiver.requests) == 1


async def test_default_body_carries_every_variable() -> None:
    with Receiver() as receiver:
        hook = notifier(receiver.url)
        receipt = await hook.deliver(Notification("1", "status_change", VARIABLES))
        await hook.close()
    assert receiver.requests[0].json() == VARIABLES
    assert receipt.detail == "HTTP 200"


async def test_without_dialects_a_servicenow_url_is_a_generic_webhook() -> None:
    """No dialect installed: each message is one POST of its own, and nothing is kept."""
    with ServiceNowReceiver() as servicenow:
        hook = notifier(servicenow.incident_url, body={"short_description": "{{message}}"})
        first = await hook.deliver(Notification("1", "status_change", VARIABLES))
        later = await hook.deliver(
            Notification("2", "status_change", VARIABLES, reference="kept")
        )
        await hook.close()
    assert [(r.method, r.path) for r in servicenow.requests] == [
        ("POST", "/api/now/table/incident"),
        ("POST", "/api/now/table/incident"),
    ]
    assert first.reference is None and later.reference is None


def test_a_dialect_that_is_not_installed_is_a_configuration_error() -> None:
    with pytest.raises(ValidationError, match=r"no webhook dialect 'jira' is installed \(choose one of auto, generic\)"):
        WebhookOptions.model_validate({"url": "https://x.example/hook", "dialect": "jira"})


def test_a_key_no_dialect_takes_is_a_configuration_error() -> None:
    with pytest.raises(ValidationError, match="unknown key.s. resolve: not a webhook key, nor one of the generic dialect"):
        WebhookOptions.model_validate(
            {"url": "https://x.example/api/now/table/incident", "resolve": {"state": "6"}}
        )
