"""The Slack block of docs/integrations.md, pasted as YAML, against a real status change of a real target."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from pulse_notify_slack import SlackNotifier, SlackOptions

from pulse_core.notifier import DeliveryError
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.notifier_conformance import (
    LOOPBACK_POLICY,
    one_target_yaml,
    status_change_notification,
)
from pulse_core.testing.receivers import Reply, SlackReceiver
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually

WEBHOOK_PATH = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
INJECTION = 'a"}, "x": {"'


def documented_slack_block(receiver: SlackReceiver) -> dict[str, Any]:
    """The documented Slack block, as written but for the host of the URL."""
    return {
        "webhookUrl": receiver.url + WEBHOOK_PATH,
        "channel": "#network-alerts",
        "username": "ThingConnect Pulse",
        "iconEmoji": ":warning:",
        "messageTemplate": {
            "text": "{{#eq status 'offline'}}🔴{{else}}🟢{{/eq}} *{{endpoint.name}}* is now *{{status}}*",
            "attachments": [
                {
                    "color": "{{#eq status 'offline'}}danger{{else}}good{{/eq}}",
                    "fields": [
                        {
                            "title": "Address",
                            "value": "{{endpoint.address}}",
                            "short": True,
                        },
                        {
                            "title": "Group",
                            "value": "{{endpoint.group}}",
                            "short": True,
                        },
                        {
                            "title": "Response Time",
                            "value": "{{response_time}}ms",
                            "short": True,
                        },
                    ],
                }
            ],
        },
    }


def expected_message(name: str, status: str, address: str, response_time: str) -> dict:
    offline = status == "offline"
    return {
        "text": f"{'🔴' if offline else '🟢'} *{name}* is now *{status}*",
        "attachments": [
            {
                "color": "danger" if offline else "good",
                "fields": [
                    {"title": "Address", "value": address, "short": True},
                    {"title": "Group", "value": "press-shop", "short": True},
                    {
                        "title": "Response Time",
                        "value": f"{response_time}ms",
                        "short": True,
                    },
                ],
            }
        ],
        "channel": "#network-alerts",
        "username": "ThingConnect Pulse",
        "icon_emoji": ":warning:",
    }


@pytest.mark.parametrize("name", ["PLC 1", INJECTION])
async def test_documented_template_for_an_outage_and_its_recovery(
    tmp_path: Path, tcp_listener: TcpListener, name: str
) -> None:
    with SlackReceiver() as slack:
        notifiers = [{"name": "ops-slack", "slack": documented_slack_block(slack)}]
        text = one_target_yaml(tcp_listener.port, notifiers, name=name)
        async with running_pulse(text, tmp_path) as server:
            await tcp_listener.stop()
            (offline,) = await slack.wait_for_requests(1)
            await tcp_listener.start()
            _, online = await slack.wait_for_requests(2)
            async with server.client() as client:
                integrations = (await client.get("/api/integrations")).json()

    address = f"127.0.0.1:{tcp_listener.port}"
    assert offline.path == WEBHOOK_PATH
    assert offline.json() == expected_message(name, "offline", address, "")
    recovered = online.json()
    response_time = recovered["attachments"][0]["fields"][2]["value"]
    assert re.fullmatch(r"\d+(\.\d)?ms", response_time)
    assert recovered == expected_message(name, "online", address, response_time[:-2])
    (entry,) = integrations["items"]
    assert entry["options"]["webhookUrl"] == "***"
    assert "XXXXXXXX" not in str(integrations)
    assert entry["health"]["sent"] == 2


async def test_invalid_payload_is_a_dead_letter_with_slacks_words(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    with SlackReceiver() as slack:
        slack.script(Reply(400, "invalid_payload"))
        notifiers = [{"name": "ops-slack", "slack": documented_slack_block(slack)}]
        async with running_pulse(
            one_target_yaml(tcp_listener.port, notifiers), tmp_path
        ) as server:
            await tcp_listener.stop()
            async with server.client() as client:

                async def dead_letters() -> list[dict] | None:
                    response = await client.get("/api/integrations/dead-letters")
                    return response.json()["items"] or None

                dead = await eventually(
                    dead_letters, every_s=0.25
                )  # calm: rate-limited API
    (letter,) = dead
    assert letter["error"] == "HTTP 400 Bad Request"  # Slack's words stay in the log
    assert letter["attempts"] == 1 and len(slack.requests) == 1
    assert slack.messages == []


async def test_rate_limit_waits_for_retry_after_then_delivers(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    with SlackReceiver() as slack:
        slack.script(Reply(429, "rate_limited", {"Retry-After": "1"}))
        direct = SlackNotifier(
            "ops-slack",
            SlackOptions.model_validate(documented_slack_block(slack)),
            LOOPBACK_POLICY,
        )
        with pytest.raises(DeliveryError) as raised:
            await direct.deliver(status_change_notification())
        await direct.close()
        slack.script(Reply(429, "rate_limited", {"Retry-After": "1"}))
        notifiers = [{"name": "ops-slack", "slack": documented_slack_block(slack)}]
        async with running_pulse(
            one_target_yaml(tcp_listener.port, notifiers), tmp_path
        ):
            await tcp_listener.stop()
            await slack.wait_for_requests(3)
    assert not raised.value.permanent and raised.value.retry_after_s == 1.0
    assert str(raised.value) == "HTTP 429 Too Many Requests: rate_limited"
    (delivered,) = slack.messages
    assert delivered["text"] == "🔴 *PLC 1* is now *offline*"


async def test_the_webhook_url_alone_sends_a_sensible_message() -> None:
    with SlackReceiver() as slack:
        options = SlackOptions.model_validate({"webhookUrl": slack.url + WEBHOOK_PATH})
        notifier = SlackNotifier("ops-slack", options, LOOPBACK_POLICY)
        receipt = await notifier.deliver(status_change_notification())
        await notifier.close()
    assert slack.messages == [
        {"text": "🔴 PLC 1 (10.0.0.5:502) is offline (was online): connection refused"}
    ]
    assert receipt.detail == "HTTP 200 ok"


def test_a_message_template_must_be_a_message() -> None:
    with pytest.raises(ValueError, match="must be a message like"):
        SlackOptions.model_validate(
            {"webhookUrl": "https://hooks.slack.com/x", "messageTemplate": "{{status}}"}
        )


async def test_values_cannot_make_links_or_mentions_but_the_template_can() -> None:
    """Slack reads ``<...>`` as a link or a mention: a value's ``&``, ``<`` and ``>`` arrive as
    entities, while the template's own link is sent as written."""
    notification = status_change_notification()
    endpoint = {**notification.variables["endpoint"], "name": "<!channel> Press & Co >"}
    notification = dataclasses.replace(
        notification, variables={**notification.variables, "endpoint": endpoint}
    )
    template = {"text": "<https://pulse.example/eps|{{endpoint.name}}> is {{status}}"}
    with SlackReceiver() as slack:
        options = SlackOptions.model_validate(
            {"webhookUrl": slack.url + WEBHOOK_PATH, "messageTemplate": template}
        )
        notifier = SlackNotifier("ops-slack", options, LOOPBACK_POLICY)
        await notifier.deliver(notification)
        without_text = {"webhookUrl": slack.url + WEBHOOK_PATH,
                        "messageTemplate": {"attachments": [{"color": "danger"}]}}
        fallback = SlackNotifier(
            "plain", SlackOptions.model_validate(without_text), LOOPBACK_POLICY
        )
        await fallback.deliver(
            dataclasses.replace(
                notification, variables={**notification.variables, "message": "a <b> & c"}
            )
        )
        await notifier.close()
        await fallback.close()
    assert [message["text"] for message in slack.messages] == [
        "<https://pulse.example/eps|&lt;!channel&gt; Press &amp; Co &gt;> is offline",
        "a &lt;b&gt; &amp; c",  # the notification's message, for a template without text
    ]
