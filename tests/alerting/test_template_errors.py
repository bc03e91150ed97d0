"""Every bad template string of a notifier's message is reported, each at its own line and
column: by ``pulse check`` (a real process) and by the apply API of a running Pulse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pulse_core.testing.server import running_pulse

VALID = """\
version: 1
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 502, group: plant}]
"""
#: Three mistakes in three places of one body: a mapping's value, a list item, a nested value.
BAD_STRINGS = ('"{{endpoint.nmae}} is {{status}}"', "\"{{#eq status 'offline'}}down\"", '"{{sattus}}"')
BROKEN = VALID + f"""\
notifiers:
  - name: jira
    webhook:
      url: https://jira.plant.example/rest/api/2/issue
      body:
        fields:
          project: {{key: NET}}
          summary: {BAD_STRINGS[0]}
          description: "fine: {{{{message}}}}"
          labels:
            - network
            - {BAD_STRINGS[1]}
          priority:
            name: {BAD_STRINGS[2]}
"""
EXPECTED = [
    ("notifiers[0].webhook.body.fields.summary", "unknown variable 'endpoint.nmae'"),
    ("notifiers[0].webhook.body.fields.labels[1]", "'{{#eq}}' at character 0 needs '{{/eq}}'"),
    ("notifiers[0].webhook.body.fields.priority.name", "unknown variable 'sattus'"),
]


def places() -> list[tuple[int, int]]:
    """The 1-based line and column of each bad string in :data:`BROKEN`."""
    lines = BROKEN.splitlines()
    found = []
    for bad in BAD_STRINGS:
        number = next(n for n, line in enumerate(lines, 1) if bad in line)
        found.append((number, lines[number - 1].index(bad) + 1))
    return found


def test_pulse_check_reports_every_bad_string_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "pulse.yaml"
    config.write_text(BROKEN)
    result = subprocess.run(
        [sys.executable, "-m", "pulse_core.cli", "check", "--config", str(config)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    reported = [line for line in result.stderr.splitlines() if line.startswith(f"{config}:")]
    assert len(reported) == 3, result.stderr
    for line, (row, column), (path, message) in zip(reported, places(), EXPECTED):
        assert line.startswith(f"{config}:{row}:{column}: {path}: {message}")


async def test_the_apply_api_reports_every_bad_string_with_its_line(tmp_path: Path) -> None:
    async with running_pulse(VALID, tmp_path) as server, server.client() as client:
        reply = await client.post("/api/configuration/apply", content=BROKEN)
    assert reply.status_code == 400
    errors = reply.json()["errors"]
    assert [(error["line"], error["column"]) for error in errors] == places()
    assert [error["path"] for error in errors] == [path for path, _ in EXPECTED]
    for error, (_, message) in zip(errors, EXPECTED):
        assert error["message"].startswith(message)
