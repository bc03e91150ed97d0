"""Webhook dialects come from distributions of their own: a name two plugins register is an
error naming both, and ``pulse check`` says which distribution would handle a webhook left
generic whose URL is ServiceNow's or Jira's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulse_notify_jira.plugin
import pytest
import yaml
from pulse_notify_jira import JiraDialect

from pulse_core import hookimpl
from pulse_core.cli import main
from pulse_core.plugins import PluginHost
from pulse_core.testing.server import running_pulse

from .conftest import pulse_yaml

#: loopback URLs, which the test configuration's outbound policy allows (no other warning)
NOTIFIERS = [
    {"name": "sn", "webhook": {"url": "http://127.0.0.1:9/api/now/table/incident"}},
    {"name": "jira", "webhook": {"url": "http://127.0.0.1:9/rest/api/3/issue"}},
    {"name": "plain", "webhook": {"url": "http://127.0.0.1:9/rest/api/3/issue/x"}},
]


def test_two_plugins_registering_one_dialect_is_an_error_naming_both() -> None:
    class JiraAgain:
        @staticmethod
        @hookimpl
        def pulse_register_webhook_dialects(register: Callable[..., None]) -> None:
            register(JiraDialect())

    host = PluginHost({})
    host.register(pulse_notify_jira.plugin, name="pulse-notify-jira")
    host.register(JiraAgain(), name="jira-again")
    assert list(host.registries.webhook_dialects) == ["jira"]
    error = host.errors["jira-again"]
    assert "webhook dialect 'jira' is registered by pulse-notify-jira already" in error
    assert "jira-again registers it too" in error


def check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    config = tmp_path / "pulse.yaml"
    config.write_text(pulse_yaml(9, NOTIFIERS))
    status = main(["check", "--config", str(config)])
    return status, [line for line in capsys.readouterr().err.splitlines() if "warning" in line]


def test_pulse_check_names_the_distribution_a_servicenow_or_jira_url_wants(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_DISABLE_PLUGINS", "pulse-notify-servicenow,pulse-notify-jira")
    status, warnings = check(tmp_path, capsys)
    config = tmp_path / "pulse.yaml"
    assert status == 0  # a warning: the generic POST still works
    assert warnings == [
        f"{config}: warning: notifiers[0] (sn): webhook.url looks like ServiceNow's, but the "
        "servicenow dialect is not installed: every message is sent as a plain POST, a new "
        "incident each time; install pulse-notify-servicenow to update one incident per outage",
        f"{config}: warning: notifiers[1] (jira): webhook.url looks like Jira's, but the jira "
        "dialect is not installed: every message is sent as a plain POST, a new issue each "
        "time; install pulse-notify-jira to update one issue per outage",
    ]


def test_pulse_check_is_quiet_when_the_dialects_are_installed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULSE_DISABLE_PLUGINS", raising=False)
    assert check(tmp_path, capsys) == (0, [])


async def test_a_dry_run_warns_as_pulse_check_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_DISABLE_PLUGINS", "pulse-notify-servicenow")
    async with running_pulse(pulse_yaml(9, []), tmp_path) as server:
        text = server.config_path.read_text().replace(
            "notifiers: []", "notifiers:\n" + yaml.safe_dump(NOTIFIERS[:2])
        )
        async with server.client() as client:
            reply = await client.post(
                "/api/configuration/apply", content=text, params={"dryRun": "true"}
            )
    assert reply.status_code == 200, reply.text
    assert reply.json()["warnings"] == [
        "notifiers[0] (sn): webhook.url looks like ServiceNow's, but the servicenow dialect is "
        "not installed: every message is sent as a plain POST, a new incident each time; "
        "install pulse-notify-servicenow to update one incident per outage"
    ]
