"""What a receiver says reaches API callers only as a status line: a notifier may point at a
service inside the network, and its pages must not be readable through Pulse."""

from __future__ import annotations

from pathlib import Path

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.notifier_conformance import one_target_yaml
from pulse_core.testing.receivers import (
    JiraReceiver,
    Receiver,
    Reply,
    SlackReceiver,
    SplunkReceiver,
)
from pulse_core.testing.server import running_pulse

INTERNAL_PAGE = "db_password=hunter2 <html>Internal wiki</html>"
JIRA_BODY = {
    "fields": {
        "project": {"key": "NET"},
        "summary": "{{endpoint.name}} is {{status}}",
        "issuetype": {"name": "Bug"},
    }
}


async def test_a_test_message_answers_the_status_not_the_body(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    with Receiver() as internal, SlackReceiver() as slack:
        internal.script(Reply(400, INTERNAL_PAGE))
        slack.script(Reply(200, INTERNAL_PAGE))
        notifiers = [
            {"name": "inside", "webhook": {"url": f"{internal.url}/hook"}},
            {"name": "chat", "slack": {"webhookUrl": f"{slack.url}/services/T/B/x"}},
        ]
        yaml_text = one_target_yaml(tcp_listener.port, notifiers)
        async with running_pulse(yaml_text, tmp_path) as server, server.client() as client:
            refused = await client.post("/api/integrations/inside/test")
            sent = await client.post("/api/integrations/chat/test")
            listing = await client.get("/api/integrations")
    assert refused.status_code == 502
    assert refused.json()["message"] == "inside: HTTP 400 Bad Request"
    assert sent.status_code == 200 and sent.json()["detail"] == "HTTP 200"
    health = {item["name"]: item["health"] for item in listing.json()["items"]}
    assert "hunter2" not in str(health) and "hunter2" not in listing.text


async def test_a_receivers_reference_reaches_callers_short_and_printable(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    """Whatever the receiver's JSON calls the issue key, the caller gets one short line."""
    odd_key = "NET-1\u200b\x1b[2J" + "9" * 100_000 + "\nINFO forged line"
    with JiraReceiver() as jira:
        jira.script(Reply(201, {"id": "1", "key": odd_key, "self": f"{jira.url}/x"}))
        notifiers = [{"name": "jira", "webhook": {"url": jira.issue_url(), "body": JIRA_BODY}}]
        yaml_text = one_target_yaml(tcp_listener.port, notifiers)
        async with running_pulse(yaml_text, tmp_path) as server, server.client() as client:
            sent = await client.post("/api/integrations/jira/test")
    shown = "NET-1[2J" + "9" * 55 + "…"
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"detail": f"issue {shown} created", "reference": shown}


async def test_splunk_answers_reach_callers_as_hec_codes(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    """HEC's ``text`` is the receiver's to choose; callers see Pulse's words and the code."""
    with SplunkReceiver() as splunk:
        splunk.script(
            Reply(200, {"text": INTERNAL_PAGE + " x" * 200, "code": 0}),
            Reply(400, {"text": INTERNAL_PAGE, "code": 7}),
        )
        block = {"hecUrl": splunk.collector_url, "token": splunk.token}
        yaml_text = one_target_yaml(tcp_listener.port, [{"name": "siem", "splunk": block}])
        async with running_pulse(yaml_text, tmp_path) as server, server.client() as client:
            sent = await client.post("/api/integrations/siem/test")
            refused = await client.post("/api/integrations/siem/test")
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"detail": "1 event sent, HEC code 0", "reference": None}
    assert refused.status_code == 502, refused.text
    assert refused.json()["message"] == "siem: HTTP 400 Bad Request"
