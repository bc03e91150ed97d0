"""Teams: the default Adaptive Card to a Workflows webhook (202), and the MessageCard of
docs/integrations.md, each for a real status change of a real target."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pulse_notify_teams import TeamsOptions

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.notifier_conformance import one_target_yaml
from pulse_core.testing.receivers import TeamsReceiver
from pulse_core.testing.server import running_pulse

ISO_Z = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z"
WORKFLOW_PATH = "/workflows/0a1b/triggers/manual/paths/invoke"
WORKFLOW_QUERY = (
    "api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=Zm9vYmFyc2VjcmV0"
)
INJECTION = 'a"}, "x": {"'

#: The Office 365 connector MessageCard of docs/integrations.md, as written there.
DOCUMENTED_MESSAGE_CARD: dict[str, Any] = {
    "@type": "MessageCard",
    "@context": "https://schema.org/extensions",
    "summary": "Network Alert",
    "themeColor": "{{#eq status 'offline'}}FF0000{{else}}00FF00{{/eq}}",
    "sections": [
        {
            "activityTitle": "{{endpoint.name}} Status Change",
            "activitySubtitle": "{{timestamp}}",
            "facts": [
                {"name": "Status", "value": "{{status}}"},
                {"name": "Address", "value": "{{endpoint.address}}"},
                {"name": "Response Time", "value": "{{response_time}}ms"},
            ],
        }
    ],
}


async def outage_messages(
    teams: TeamsReceiver,
    card: dict | None,
    tmp_path: Path,
    listener: TcpListener,
    name: str,
) -> tuple[list[dict], dict]:
    block: dict[str, Any] = {
        "webhookUrl": f"{teams.url}{WORKFLOW_PATH}?{WORKFLOW_QUERY}"
    }
    if card is not None:
        block["card"] = card
    text = one_target_yaml(
        listener.port, [{"name": "ops-teams", "teams": block}], name=name
    )
    async with running_pulse(text, tmp_path) as server:
        await listener.stop()
        await teams.wait_for_requests(1)
        async with server.client() as client:
            integrations = (await client.get("/api/integrations")).json()
    return [request.json() for request in teams.requests], integrations


@pytest.mark.parametrize("name", ["PLC 1", INJECTION])
async def test_default_adaptive_card_to_a_workflows_webhook(
    tmp_path: Path, tcp_listener: TcpListener, name: str
) -> None:
    with TeamsReceiver() as teams:
        (message,), integrations = await outage_messages(
            teams, None, tmp_path, tcp_listener, name
        )
    address = f"127.0.0.1:{tcp_listener.port}"
    (request,) = teams.requests
    assert (request.path, request.query) == (WORKFLOW_PATH, WORKFLOW_QUERY)
    card = message["attachments"][0]["content"]
    facts = card["body"][2]["facts"]
    assert re.fullmatch(ISO_Z, facts[4]["value"])
    sentence = card["body"][1][
        "text"
    ]  # ends with the probe's own words for the failure
    assert sentence.startswith(f"{name} ({address}) is offline (was online): ")
    assert message == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": f"{name} is offline",
                            "size": "Medium",
                            "weight": "Bolder",
                            "color": "Attention",
                            "wrap": True,
                        },
                        {
                            "type": "TextBlock",
                            "text": sentence,
                            "wrap": True,
                        },
                        {
                            "type": "FactSet",
                            "facts": [
                                {"title": "Status", "value": "offline (was online)"},
                                {"title": "Address", "value": address},
                                {"title": "Group", "value": "Press shop"},
                                {"title": "Response time", "value": "-"},
                                {"title": "Time", "value": facts[4]["value"]},
                            ],
                        },
                    ],
                },
            }
        ],
    }
    (entry,) = integrations["items"]
    assert entry["options"]["webhookUrl"] == "***"
    assert "Zm9vYmFyc2VjcmV0" not in str(integrations)


async def test_documented_message_card_is_sent_as_written(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    with TeamsReceiver(accept_message_card=True) as teams:
        (card,), _ = await outage_messages(
            teams, DOCUMENTED_MESSAGE_CARD, tmp_path, tcp_listener, "PLC 1"
        )
    subtitle = card["sections"][0]["activitySubtitle"]
    assert re.fullmatch(ISO_Z, subtitle)
    assert card == {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": "Network Alert",
        "themeColor": "FF0000",
        "sections": [
            {
                "activityTitle": "PLC 1 Status Change",
                "activitySubtitle": subtitle,
                "facts": [
                    {"name": "Status", "value": "offline"},
                    {"name": "Address", "value": f"127.0.0.1:{tcp_listener.port}"},
                    {"name": "Response Time", "value": "ms"},
                ],
            }
        ],
    }


def test_a_card_of_no_known_shape_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="must be an Adaptive Card"):
        TeamsOptions.model_validate(
            {"webhookUrl": "https://example.invalid/x", "card": {"text": "{{status}}"}}
        )
