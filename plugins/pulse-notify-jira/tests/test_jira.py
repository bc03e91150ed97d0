"""The Jira body of docs/integrations.md, pasted as YAML, for a real status change of a real target."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.notifier_conformance import one_target_yaml
from pulse_core.testing.receivers import JiraReceiver
from pulse_core.testing.server import running_pulse

DOCUMENTED_JIRA_BODY = r"""
fields:
  project:
    key: NET
  summary: "Network Alert: {{endpoint.name}} is {{status}}"
  description: "Monitoring endpoint {{endpoint.name}} has changed status to {{status}}.\n\nDetails:\n- Address: {{endpoint.address}}\n- Group: {{endpoint.group}}\n- Response Time: {{response_time}}ms\n- Timestamp: {{timestamp}}"
  issuetype:
    name: Bug
  priority:
    name: "{{#eq status 'offline'}}High{{else}}Medium{{/eq}}"
"""


def config(port: int, url: str) -> str:
    notifiers = [
        {
            "name": "jira",
            "webhook": {
                "url": url,
                "headers": {"Authorization": "Basic ${JIRA_CREDENTIALS}"},
                "body": yaml.safe_load(DOCUMENTED_JIRA_BODY),
            },
        }
    ]
    return one_target_yaml(port, notifiers, name="router-01")


async def test_v3_issue_gets_an_adf_description_and_recovery_comments_on_it(
    tmp_path: Path, tcp_listener: TcpListener, monkeypatch
) -> None:
    monkeypatch.setenv("JIRA_CREDENTIALS", "b3BzQGV4YW1wbGUuY29tOnRva2Vu")
    with JiraReceiver(authorization="Basic b3BzQGV4YW1wbGUuY29tOnRva2Vu") as jira:
        async with running_pulse(
            config(tcp_listener.port, jira.issue_url(3)), tmp_path
        ):
            await tcp_listener.stop()
            (created,) = await jira.wait_for_requests(1)
            await tcp_listener.start()
            _, comment = await jira.wait_for_requests(2)

    fields = created.json()["fields"]
    description = fields.pop("description")
    assert fields == {
        "project": {"key": "NET"},
        "summary": "Network Alert: router-01 is offline",
        "issuetype": {"name": "Bug"},
        "priority": {"name": "High"},
    }
    first, details = description["content"]
    assert description["type"] == "doc" and description["version"] == 1
    assert first == {
        "type": "paragraph",
        "content": [
            {
                "type": "text",
                "text": "Monitoring endpoint router-01 has changed status to offline.",
            }
        ],
    }
    lines = [node["text"] for node in details["content"] if node["type"] == "text"]
    assert lines[:4] == [
        "Details:",
        f"- Address: 127.0.0.1:{tcp_listener.port}",
        "- Group: press-shop",
        "- Response Time: ms",
    ]
    assert re.fullmatch(
        r"- Timestamp: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", lines[4]
    )
    assert comment.path == "/rest/api/3/issue/NET-1/comment"
    text = comment.json()["body"]["content"][0]["content"][0]["text"]
    assert text == "Network Alert: router-01 is online"
