"""Configuration as code: ``POST /api/configuration/apply`` and the versions it keeps, against a
real server whose checks hit real loopback sockets and whose history is a real SQLite file."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulse_core.app import load_plugins, open_config
from pulse_core.config import text_sha256
from pulse_core.contract.access import Role
from pulse_core.models import CheckResult
from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.waiting import eventually
from pulse_core.web.auth.provisioning import issue_api_key

GROUPS = """\
defaults: {interval_seconds: 1, timeout_ms: 300}
groups:
  - {id: plant, name: Plant}
  - {id: office, name: Office}
"""


def startup_config(plc_port: int, historian_port: int) -> str:
    return f"""version: 1
{GROUPS}targets:
  - {{type: tcp, host: 127.0.0.1, port: {plc_port}, group: plant, name: PLC Press}}
  - {{type: tcp, host: 127.0.0.1, port: {historian_port}, group: office, name: Historian}}
"""


def config_text(server: RunningPulse, targets: str) -> str:
    """A whole file for this server (its own server and storage sections) with ``targets``."""
    settings = server.pulse.config
    return f"""# Plant monitoring, applied through the API
version: 1
{GROUPS}server: {{host: {settings.server.host}, port: {settings.server.port}}}
storage: {{url: "{settings.storage.url}"}}
targets:
{targets}"""


@pytest.fixture
def plc(tcp_listener: TcpListener) -> TcpListener:
    """The plant's PLC: the shared loopback listener (``pulse_core.testing.fixtures``)."""
    return tcp_listener


@pytest.fixture
async def historian() -> AsyncIterator[TcpListener]:
    listener = TcpListener()
    await listener.start()
    yield listener
    await listener.stop()


@pytest.fixture
async def server(
    plc: TcpListener, historian: TcpListener, tmp_path: Path
) -> AsyncIterator[RunningPulse]:
    async with running_pulse(startup_config(plc.port, historian.port), tmp_path) as running:
        yield running


def endpoint_id(server: RunningPulse, name: str) -> str:
    return next(ep.id for ep in server.pulse.config.endpoints if ep.name == name)


async def stored_checks(server: RunningPulse, endpoint: str) -> list[CheckResult]:
    await server.pulse.writer.flush()
    return await server.pulse.store.checks(endpoint, 0, time.time() + 60)


async def apply(
    client: httpx.AsyncClient, text: str, **params: str
) -> httpx.Response:
    return await client.post("/api/configuration/apply", content=text, params=params,
                             headers={"X-Actor": "ci-pipeline", "X-Note": "line 3 retrofit"})


async def checked_once(server: RunningPulse, name: str) -> str:
    """The id of endpoint ``name`` once it has a stored check."""
    endpoint = endpoint_id(server, name)

    async def has_checks() -> str | None:
        return endpoint if await stored_checks(server, endpoint) else None

    return await eventually(has_checks)


def retrofit_targets(plc: TcpListener, packer: TcpListener) -> str:
    """PLC Press renamed, Historian removed, Packer added."""
    return (
        f"  - {{type: tcp, host: 127.0.0.1, port: {plc.port}, group: plant, name: PLC Press 1}}\n"
        f"  - {{type: tcp, host: 127.0.0.2, port: {packer.port}, group: plant, name: Packer}}\n"
    )


@pytest.fixture
async def packer() -> AsyncIterator[TcpListener]:
    listener = TcpListener(host="127.0.0.2")
    await listener.start()
    yield listener
    await listener.stop()


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in items]


async def test_apply_reports_changes_by_endpoint_id(
    server: RunningPulse, plc: TcpListener, packer: TcpListener
) -> None:
    plc_id, historian_id = endpoint_id(server, "PLC Press"), endpoint_id(server, "Historian")
    async with server.client() as client:
        before = (await client.get("/api/configuration/versions")).json()["items"]
        reply = await apply(client, config_text(server, retrofit_targets(plc, packer)))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["configVersionId"] == before[0]["id"] + 1
    assert (body["changed"], body["dryRun"], body["warnings"]) == (True, False, [])
    assert names(body["added"]) == ["Packer"]
    assert body["added"][0]["address"] == f"127.0.0.2:{packer.port}"
    assert [(item["id"], item["name"]) for item in body["updated"]] == [(plc_id, "PLC Press 1")]
    assert [(item["id"], item["name"]) for item in body["removed"]] == [(historian_id, "Historian")]


async def test_a_rename_keeps_the_id_and_the_history(
    server: RunningPulse, plc: TcpListener, packer: TcpListener
) -> None:
    plc_id = await checked_once(server, "PLC Press")
    history_before = await stored_checks(server, plc_id)
    async with server.client() as client:
        reply = await apply(client, config_text(server, retrofit_targets(plc, packer)))
        assert reply.status_code == 200, reply.text
        detail = (await client.get(f"/api/endpoints/{plc_id}")).json()
    assert detail["endpoint"]["name"] == "PLC Press 1"
    assert server.pulse.monitor.states[plc_id].endpoint.name == "PLC Press 1"

    async def more_checks() -> list[CheckResult] | None:
        checks = await stored_checks(server, plc_id)
        return checks if len(checks) > len(history_before) else None

    history_after = await eventually(more_checks)
    assert history_after[: len(history_before)] == history_before


async def test_a_new_endpoint_is_checked(
    server: RunningPulse, plc: TcpListener, packer: TcpListener
) -> None:
    async with server.client() as client:
        reply = await apply(client, config_text(server, retrofit_targets(plc, packer)))
        packer_id = reply.json()["added"][0]["id"]

        async def up_in_live_status() -> dict[str, Any] | None:
            items = (await client.get("/api/status/live", params={"search": "Packer"})).json()
            packers = [item for item in items["items"] if item["endpoint"]["id"] == packer_id]
            return packers[0] if packers and packers[0]["status"] == "up" else None

        item = await eventually(up_in_live_status)
    assert item["endpoint"]["address"] == f"127.0.0.2:{packer.port}"
    assert (await stored_checks(server, packer_id))[0].status.value == "up"


async def test_a_removed_endpoint_stops_being_checked_and_keeps_its_history(
    server: RunningPulse, plc: TcpListener, packer: TcpListener
) -> None:
    historian_id = await checked_once(server, "Historian")
    async with server.client() as client:
        reply = await apply(client, config_text(server, retrofit_targets(plc, packer)))
    assert reply.status_code == 200, reply.text
    assert historian_id not in server.pulse.monitor.states
    kept = await stored_checks(server, historian_id)
    await checked_once(server, "Packer")  # time passes: the others are checked meanwhile
    await checked_once(server, "PLC Press 1")
    assert kept and await stored_checks(server, historian_id) == kept


async def test_a_dry_run_changes_nothing(
    server: RunningPulse, plc: TcpListener, packer: TcpListener
) -> None:
    running_text = server.config_path.read_text()
    states = server.pulse.monitor.states
    async with server.client() as client:
        versions = (await client.get("/api/configuration/versions")).json()["items"]
        reply = await apply(client, config_text(server, retrofit_targets(plc, packer)),
                            dryRun="true")
        versions_after = (await client.get("/api/configuration/versions")).json()["items"]
        current = (await client.get("/api/configuration/current")).text
    body = reply.json()
    assert (body["configVersionId"], body["dryRun"], body["changed"]) == (None, True, True)
    assert names(body["added"]) == ["Packer"] and names(body["removed"]) == ["Historian"]
    assert versions_after == versions
    assert current == running_text == server.config_path.read_text()
    assert server.pulse.monitor.states is states  # not even rebuilt


async def test_applying_the_running_text_again_changes_nothing(
    server: RunningPulse, plc: TcpListener, packer: TcpListener
) -> None:
    text = config_text(server, retrofit_targets(plc, packer))
    async with server.client() as client:
        first = (await apply(client, text)).json()
        again = await apply(client, text)
        versions = (await client.get("/api/configuration/versions")).json()["items"]
    assert again.status_code == 200
    assert again.json() == {
        "configVersionId": first["configVersionId"], "changed": False, "dryRun": False,
        "added": [], "updated": [], "removed": [], "warnings": [],
    }
    assert versions[0]["id"] == first["configVersionId"]
    assert len(versions) == 2


async def test_invalid_yaml_is_refused_with_line_and_column(server: RunningPulse) -> None:
    broken_syntax = config_text(server, "  - {type: tcp, host: 127.0.0.1\n")
    wrong_port = config_text(server, "  - {type: tcp, host: 127.0.0.1, port: many, group: plant}\n")
    async with server.client() as client:
        syntax = await apply(client, broken_syntax)
        schema = await apply(client, wrong_port)
        versions = (await client.get("/api/configuration/versions")).json()["items"]
    assert syntax.status_code == 400
    assert syntax.json()["errors"][0]["line"] == broken_syntax.count("\n") + 1
    assert syntax.json()["errors"][0]["message"].startswith("invalid YAML")
    assert schema.status_code == 400
    body = schema.json()
    assert body["message"] == "the YAML sent is not a valid configuration: 1 error"
    bad_line = "  - {type: tcp, host: 127.0.0.1, port: many, group: plant}"
    assert body["errors"] == [{
        "path": "targets[0].port", "message": "must be a whole number", "value": "many",
        "line": wrong_port.splitlines().index(bad_line) + 1, "column": bad_line.index("many") + 1,
    }]
    assert len(versions) == 1


async def test_an_empty_or_binary_body_is_refused(server: RunningPulse) -> None:
    async with server.client() as client:
        empty = await client.post("/api/configuration/apply", content=b"  \n")
        binary = await client.post("/api/configuration/apply", content=b"\xff\xfe\x00")
    assert empty.status_code == 400 and "empty" in empty.json()["message"]
    assert binary.status_code == 400 and "UTF-8" in binary.json()["message"]


async def test_versions_keep_text_actor_and_note(
    server: RunningPulse, plc: TcpListener, packer: TcpListener
) -> None:
    text = config_text(server, retrofit_targets(plc, packer))
    async with server.client() as client:
        applied = (await apply(client, text)).json()["configVersionId"]
        listing = (await client.get("/api/configuration/versions")).json()["items"]
        detail = (await client.get(f"/api/configuration/versions/{applied}")).json()
        download = await client.get(f"/api/configuration/versions/{applied}",
                                    params={"download": "1"})
        first = (await client.get(f"/api/configuration/versions/{listing[1]['id']}")).json()
        missing = await client.get("/api/configuration/versions/9999")
    assert [version["id"] for version in listing] == [applied, applied - 1]
    assert "yaml" not in listing[0]
    assert listing[0]["actor"] == "ci-pipeline (as apikey test kit)"
    assert listing[0]["note"] == "line 3 retrofit"
    assert (listing[0]["current"], listing[1]["current"]) == (True, False)
    assert listing[0]["appliedTs"].endswith("Z")
    assert detail["yaml"] == text and detail["sha256"] == listing[0]["sha256"]
    assert download.text == text
    assert download.headers["content-type"].startswith("text/yaml")
    assert download.headers["content-disposition"] == (
        f'attachment; filename="pulse-config-v{applied}.yaml"'
    )
    assert first["actor"] == "pulse run" and first["current"] is False
    assert missing.status_code == 404


async def test_current_is_the_running_text_and_the_file_follows(
    server: RunningPulse, plc: TcpListener, packer: TcpListener
) -> None:
    text = config_text(server, retrofit_targets(plc, packer))
    async with server.client() as client:
        at_start = await client.get("/api/configuration/current")
        await apply(client, text)
        after = await client.get("/api/configuration/current")
    assert at_start.headers["content-type"] == "text/yaml; charset=utf-8"
    assert after.text == text == server.config_path.read_text()
    assert at_start.text != text


async def test_after_a_then_b_then_a_again_only_the_latest_a_is_current(
    server: RunningPulse, plc: TcpListener, packer: TcpListener
) -> None:
    first = server.config_path.read_text()
    async with server.client() as client:
        await apply(client, config_text(server, retrofit_targets(plc, packer)))
        again = (await apply(client, first)).json()["configVersionId"]
        listing = (await client.get("/api/configuration/versions")).json()["items"]
        detail = (await client.get(f"/api/configuration/versions/{listing[2]['id']}")).json()
    assert [version["current"] for version in listing] == [True, False, False]
    assert listing[0]["id"] == again and listing[0]["sha256"] == listing[2]["sha256"]
    assert detail["current"] is False


async def test_a_changed_server_address_is_a_warning(server: RunningPulse) -> None:
    text = server.config_path.read_text().replace(
        f"port: {server.pulse.config.server.port}", f"port: {free_tcp_port()}"
    )
    async with server.client() as client:
        reply = await apply(client, text)
    assert reply.json()["warnings"] == [
        "server.host and server.port take effect when Pulse restarts"
    ]


async def test_a_viewer_reads_versions_but_cannot_apply(server: RunningPulse) -> None:
    _, key = await issue_api_key(server.pulse.store, "wall screen", Role.VIEWER, None)
    viewer = {"Authorization": f"Bearer {key}"}
    async with server.client(authenticated=False) as client:
        refused = await client.post("/api/configuration/apply", headers=viewer,
                                    content=server.config_path.read_text())
        listing = await client.get("/api/configuration/versions", headers=viewer)
        current = await client.get("/api/configuration/current", headers=viewer)
        anonymous = await client.get("/api/configuration/current")
    assert refused.status_code == 403
    assert listing.status_code == 200 and current.status_code == 200
    assert anonymous.status_code == 401


async def test_a_crlf_file_keeps_being_saved_and_a_restart_runs_the_latest(
    server: RunningPulse, plc: TcpListener, packer: TcpListener
) -> None:
    crlf = config_text(server, retrofit_targets(plc, packer)).replace("\n", "\r\n")
    latest = crlf.replace("name: Packer", "name: Packer 2")
    async with server.client() as client:
        first = await apply(client, crlf)
        second = await apply(client, latest)
    assert first.json()["warnings"] == [] and second.json()["warnings"] == []
    assert server.config_path.read_bytes() == latest.encode()
    restarted = open_config(server.config_path, load_plugins())
    assert restarted.source_sha256 == text_sha256(latest)
    assert "Packer 2" in [endpoint.name for endpoint in restarted.endpoints]


async def key_headers(server: RunningPulse, role: Role) -> dict[str, str]:
    _, key = await issue_api_key(server.pulse.store, f"{role} key", role, None)
    return {"Authorization": f"Bearer {key}"}


OUTBOUND = 'outbound: {allow_networks: ["127.0.0.0/8"], allow_plain_http: true}\n'


async def test_an_editor_changes_targets_but_not_what_pulse_may_reach(
    server: RunningPulse, plc: TcpListener, packer: TcpListener
) -> None:
    editor = await key_headers(server, Role.EDITOR)
    targets_only = config_text(server, retrofit_targets(plc, packer))
    settings = server.pulse.config
    widened = {
        "outbound": targets_only + OUTBOUND,
        "server": targets_only.replace(
            f"port: {settings.server.port}}}", f"port: {settings.server.port}, rate_limit_per_minute: 0}}"
        ),
        "storage": targets_only.replace("storage: {", "storage: {retention_days: 3650, "),
        # a literal token: a new ${VAR} reference is refused first (test_env_references.py)
        "metrics": targets_only + "metrics: {token: '0123456789abcdef'}\n",
    }
    async with server.client(authenticated=False) as client:
        refusals = {
            section: [
                await client.post("/api/configuration/apply", content=text, params=params,
                                  headers=editor)
                for params in ({"dryRun": "true"}, {})
            ]
            for section, text in widened.items()
        }
        allowed = await client.post("/api/configuration/apply", content=targets_only,
                                    headers=editor)
    for section, replies in refusals.items():
        for reply in replies:
            assert reply.status_code == 403, (section, reply.text)
            assert reply.json()["settings"] == [section]
            assert reply.json()["message"].startswith(f"changing {section} needs the admin role")
            assert reply.json()["message"].endswith("editor key is editor")
    assert allowed.status_code == 200, allowed.text
    assert "outbound" not in server.config_path.read_text()
    async with server.client() as admin:  # the test kit signs in as an administrator
        opened = await admin.post("/api/configuration/apply", content=widened["outbound"])
    assert opened.status_code == 200, opened.text
    assert "outbound" in server.pulse.config.sections


async def test_a_dry_run_warns_of_each_destination_the_outbound_policy_refuses(
    server: RunningPulse,
) -> None:
    hooks = "".join(
        f"  - {{name: hook-{n}, webhook: {{url: 'http://127.0.0.1:{9000 + n}/x?token=s3cret'}}}}\n"
        for n in range(40)
    )
    text = server.config_path.read_text() + "notifiers:\n" + hooks + (
        "  - {name: meta, webhook: {url: 'https://169.254.169.254/latest'}}\n"
    )
    async with server.client() as client:
        reply = await apply(client, text, dryRun="true")
    warnings = reply.json()["warnings"]
    assert len(warnings) == 41
    assert warnings[0] == (
        "notifiers[0] (hook-0): webhook.url: http://127.0.0.1:9000/***: plain http is refused; "
        "use https or set outbound.allow_plain_http; this notifier cannot deliver"
    )
    assert warnings[40] == (
        "notifiers[40] (meta): webhook.url: 169.254.169.254 (169.254.169.254) is a link-local "
        "address (cloud metadata lives there): refused unless listed in outbound.allow_networks;"
        " this notifier cannot deliver"
    )
    assert "s3cret" not in str(warnings)


async def test_deep_nesting_is_a_400_with_its_line(server: RunningPulse) -> None:
    text = "version: 1\n" + "".join("  " * i + "a:\n" for i in range(500)) + "x: 1\n"
    async with server.client() as client:
        reply = await apply(client, text)
    assert reply.status_code == 400
    [error] = reply.json()["errors"]
    assert (error["line"], error["column"]) == (66, 129)
    assert error["message"].startswith("mappings and lists are nested deeper than 64 levels")


async def test_names_hosts_and_notes_are_bounded(server: RunningPulse) -> None:
    running = server.config_path.read_text()
    nul_host = running.replace("host: 127.0.0.1", 'host: "127.0.0.1\\0evil"', 1)
    long_note = {"X-Note": "n" * 2001}
    async with server.client() as client:
        huge_name = await client.post("/api/endpoints", json={
            "name": "x" * 10_000_000, "address": "127.0.0.9", "type": "icmp"})
        control_host = await client.post("/api/endpoints", json={
            "address": "127.0.0.9\x07", "type": "icmp"})
        long_notes = await client.post("/api/endpoints", json={
            "address": "127.0.0.9", "type": "icmp", "notes": "n" * 2001})
        stored_nul = await apply(client, nul_host)
        noted = await client.post("/api/configuration/apply", content=running + "# x\n",
                                  headers=long_note)
    assert huge_name.status_code == 400 and len(huge_name.content) < 2000
    assert huge_name.json()["errors"][0]["path"] == "name"
    assert control_host.status_code == 400
    assert long_notes.status_code == 400
    assert long_notes.json()["errors"][0] == {
        "field": "notes", "message": "must be at most 2,000 characters",
        "value": "n" * 200 + "… (2,001 characters)",
    }
    assert stored_nul.status_code == 400
    [error] = stored_nul.json()["errors"]
    assert error["path"] == "targets[0].host" and error["line"] is not None
    assert error["message"].startswith("must be an IP address or a host name")
    assert noted.status_code == 400
    assert noted.json()["message"] == "X-Note may be at most 2,000 characters; it has 2,001"
    assert server.config_path.read_text() == running


def peak_rss_kib() -> int:
    """The most memory this process (the test and the server in it) has held."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))


async def test_a_dry_run_of_a_slash_8_is_refused_without_taking_the_memory(
    server: RunningPulse,
) -> None:
    text = config_text(server, "  - {type: icmp, cidr: 10.0.0.0/8, group: plant}\n").replace(
        "defaults: {interval_seconds: 1, timeout_ms: 300}",
        "defaults: {interval_seconds: 1, timeout_ms: 300, max_addresses_per_target: 20000000}",
    )
    before = peak_rss_kib()
    async with server.client() as client:
        reply = await apply(client, text, dryRun="true")
        health = await client.get("/api/health")
    grown_mib = (peak_rss_kib() - before) / 1024
    assert reply.status_code == 400, reply.text
    assert {error["path"] for error in reply.json()["errors"]} == {
        "defaults.max_addresses_per_target", "targets[0].cidr"
    }
    assert grown_mib < 200, f"the peak memory grew by {grown_mib:.0f} MiB"
    assert health.status_code == 200


async def test_a_configuration_over_4_mib_is_refused_before_it_is_read(server: RunningPulse) -> None:
    text = server.config_path.read_text() + "#" * (4 * 1024 * 1024) + "\n"
    async with server.client() as client:
        reply = await apply(client, text, dryRun="true")
    assert reply.status_code == 413
    assert reply.json()["message"] == (
        f"the configuration may be at most 4,194,304 bytes (4 MiB); this one has {len(text):,}"
    )
