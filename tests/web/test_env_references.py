"""``${VAR}`` references to Pulse's environment and the roles: an editor keeps the references an
administrator wrote but cannot add one, so a configuration cannot be used to read Pulse's
secrets back through a name, a dry run or a notifier's destination. Against a real server
with the variables set in its environment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import key_headers
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse

TOKEN, TOKEN_VALUE = "PULSE_TEST_HOOK_TOKEN", "hook-token-5f1d"
PASSWORD, PASSWORD_VALUE = "PULSE_TEST_DB_PASSWORD", "db-pass-8c2e"
SECRETS = (TOKEN_VALUE, PASSWORD_VALUE)


def startup_config(plc_port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups:
  - {{id: plant, name: Plant}}
targets:
  - {{type: tcp, host: 127.0.0.1, port: {plc_port}, group: plant, name: PLC Press}}
notifiers:
  - name: ops
    webhook:
      url: https://127.0.0.1:9/hook
      headers: {{Authorization: "Bearer ${{{TOKEN}}}"}}
"""


@pytest.fixture
async def server(
    tcp_listener: TcpListener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningPulse]:
    monkeypatch.setenv(TOKEN, TOKEN_VALUE)
    monkeypatch.setenv(PASSWORD, PASSWORD_VALUE)
    async with running_pulse(startup_config(tcp_listener.port), tmp_path) as running:
        yield running


@pytest.fixture
async def editor(server: RunningPulse) -> AsyncIterator[httpx.AsyncClient]:
    """A client with an editor's API key."""
    async with server.client(authenticated=False) as client:
        client.headers.update(await key_headers(server, Role.EDITOR))
        yield client


def running_document(server: RunningPulse) -> dict[str, Any]:
    return yaml.safe_load(server.config_path.read_text())


def with_change(server: RunningPulse, change: str) -> str:
    """The running file with one of the changes below made to it."""
    document = running_document(server)
    ops = document["notifiers"][0]
    if change == "target name":
        document["targets"][0]["name"] = f"${{{PASSWORD}}}"
    elif change == "notifier url":
        ops["webhook"]["url"] = f"https://127.0.0.1:9/hook?key=${{{PASSWORD}}}"
    elif change == "header":
        ops["webhook"]["headers"]["X-Extra"] = f"${{{PASSWORD}}}"
    elif change == "running reference moved to a name":
        document["targets"][0]["name"] = f"${{{TOKEN}}}"
    elif change == "running reference rewritten":
        ops["webhook"]["headers"]["Authorization"] = f"${{{TOKEN}}}"
    elif change == "running reference copied to a second notifier":
        document["notifiers"].append({"name": "copy", "webhook": dict(ops["webhook"])})
    return yaml.safe_dump(document, sort_keys=False)


#: each change → where the new reference is and to which variable
REFUSED = {
    "target name": ("targets[0].name", PASSWORD),
    "notifier url": ("notifiers[0].webhook.url", PASSWORD),
    "header": ("notifiers[0].webhook.headers.X-Extra", PASSWORD),
    "running reference moved to a name": ("targets[0].name", TOKEN),
    "running reference rewritten": ("notifiers[0].webhook.headers.Authorization", TOKEN),
    "running reference copied to a second notifier": (
        "notifiers[1].webhook.headers.Authorization", TOKEN
    ),
}


def assert_no_secret(reply: httpx.Response) -> None:
    for value in SECRETS:
        assert value not in reply.text, reply.text


@pytest.mark.parametrize("change", list(REFUSED))
@pytest.mark.parametrize("dry_run", [True, False])
async def test_an_editor_cannot_add_a_reference_to_the_environment(
    server: RunningPulse, editor: httpx.AsyncClient, change: str, dry_run: bool
) -> None:
    running_text = server.config_path.read_text()
    version = server.pulse.config_version_id
    path, variable = REFUSED[change]
    reply = await editor.post(
        "/api/configuration/apply", content=with_change(server, change),
        params={"dryRun": "true"} if dry_run else {},
    )
    assert reply.status_code == 403, reply.text
    message = reply.json()["message"]
    assert f"{path} refers to ${{{variable}}}" in message
    assert "an administrator must add it" in message
    assert reply.json()["references"] == [{"path": path, "variable": variable}]
    assert_no_secret(reply)
    assert server.pulse.config_version_id == version
    assert server.config_path.read_text() == running_text
    live = await editor.get("/api/status/live")
    assert_no_secret(live)


async def test_an_editor_keeps_the_references_already_running(
    server: RunningPulse, editor: httpx.AsyncClient
) -> None:
    document = running_document(server)
    document["targets"][0]["name"] = "PLC Press 2"
    # a target added above shifts the others down the list; the references stay valid
    document["targets"].insert(0, {**document["targets"][0], "name": "HMI", "port": 5900})
    text = yaml.safe_dump(document, sort_keys=False)
    dry = await editor.post("/api/configuration/apply", content=text, params={"dryRun": "true"})
    applied = await editor.post("/api/configuration/apply", content=text)
    for reply in (dry, applied):
        assert reply.status_code == 200, reply.text
        assert_no_secret(reply)
    assert [ref["name"] for ref in applied.json()["updated"]] == ["PLC Press 2"]
    current = await editor.get("/api/configuration/current")
    assert f"Bearer ${{{TOKEN}}}" in current.text
    assert_no_secret(current)


async def test_an_administrator_may_add_a_reference_to_a_notifier_option(
    server: RunningPulse,
) -> None:
    document = running_document(server)
    document["notifiers"].append({"name": "vendor", "webhook": {
        "url": f"https://127.0.0.1:9/hook?key=${{{PASSWORD}}}",
        "headers": {"X-Key": f"${{{PASSWORD}}}"},
    }})
    text = yaml.safe_dump(document, sort_keys=False)
    async with server.client() as admin:
        dry = await admin.post("/api/configuration/apply", content=text, params={"dryRun": "true"})
        applied = await admin.post("/api/configuration/apply", content=text)
        current = await admin.get("/api/configuration/current")
        live = await admin.get("/api/status/live")
    for reply in (dry, applied, current, live):
        assert reply.status_code == 200, reply.text
        assert_no_secret(reply)
    assert applied.json()["changed"] is True
    assert f"X-Key: ${{{PASSWORD}}}" in current.text


async def test_an_editor_cannot_write_a_reference_through_the_endpoint_api(
    server: RunningPulse, editor: httpx.AsyncClient, tcp_listener: TcpListener
) -> None:
    version = server.pulse.config_version_id
    plc = server.pulse.config.endpoints[0].id
    created = await editor.post("/api/endpoints", json={
        "name": f"${{{PASSWORD}}}", "address": "127.0.0.1", "type": "tcp",
        "port": tcp_listener.port + 1,
    })
    changed = await editor.put(f"/api/endpoints/{plc}", json={"notes": f"${{{TOKEN}}}"})
    for reply, (path, variable) in (
        (created, ("targets[1].name", PASSWORD)), (changed, ("targets[0].notes", TOKEN))
    ):
        assert reply.status_code == 403, reply.text
        assert f"{path} refers to ${{{variable}}}" in reply.json()["message"]
        assert_no_secret(reply)
    assert server.pulse.config_version_id == version
    renamed = await editor.put(f"/api/endpoints/{plc}", json={"name": "PLC Press 2"})
    assert renamed.status_code == 200, renamed.text
    assert_no_secret(renamed)


async def test_an_editor_cannot_send_a_kept_reference_elsewhere(
    server: RunningPulse, editor: httpx.AsyncClient
) -> None:
    """The notifier keeps its ``Bearer ${TOKEN}`` header; only its URL changes. Where alerts
    and their tokens go is an administrator's decision, as what Pulse may reach is."""
    document = running_document(server)
    document["notifiers"][0]["webhook"]["url"] = "https://127.0.0.2:9/collect"
    reply = await editor.post(
        "/api/configuration/apply", content=yaml.safe_dump(document, sort_keys=False)
    )
    assert reply.status_code == 403, reply.text
    assert reply.json()["settings"] == ["notifiers"]
    assert_no_secret(reply)
