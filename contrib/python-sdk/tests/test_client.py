"""PulseClient's REST methods against a real Pulse, first the documented example as written."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from thingconnect_pulse import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    PulseClient,
    PulseConnectionError,
)
from thingconnect_pulse.calls import finest_bucket

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user, key_headers
from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.server import RunningPulse
from pulse_core.testing.waiting import eventually


#: the usage example of the integration guide and of this SDK's README, character for character
DOCUMENTED_EXAMPLE = '''from thingconnect_pulse import PulseClient

# Initialize client
client = PulseClient("http://localhost:8080", username="admin", password="password")

# Get live status
status = client.get_live_status()

# Get endpoint history
history = client.get_endpoint_history("ep-123", start_time="2024-01-15T00:00:00Z")

# Create endpoint
endpoint = client.create_endpoint({
    "name": "New Server",
    "address": "192.168.1.100",
    "type": "tcp",
    "port": 80
})
'''
README = Path(__file__).parents[1] / "README.md"


def test_the_readme_shows_the_example_the_tests_run() -> None:
    assert DOCUMENTED_EXAMPLE in README.read_text()


async def test_the_documented_example_runs_as_written(server: RunningPulse) -> None:
    """Three placeholders of the example are replaced, nothing else: the address of the test
    Pulse for ``localhost:8080``; the id of its PLC for ``ep-123`` (Pulse's ids are derived
    from the target, so no endpoint can be called that); and 127.0.0.2 for 192.168.1.100,
    because the new endpoint is checked at once and a test sends no packet beyond loopback.
    The user ``admin``/``password`` is the server fixture's."""
    plc_id = server.pulse.config.endpoints[0].id
    source = (
        DOCUMENTED_EXAMPLE.replace("http://localhost:8080", server.base_url)
        .replace('"ep-123"', f'"{plc_id}"')
        .replace('"192.168.1.100"', '"127.0.0.2"')
    )
    changed = [
        (written, run)
        for written, run in zip(DOCUMENTED_EXAMPLE.splitlines(), source.splitlines(), strict=True)
        if written != run
    ]
    assert len(changed) == 3
    names: dict[str, Any] = {}
    await asyncio.to_thread(exec, compile(source, "documented example", "exec"), names)
    names["client"].close()
    status, history, endpoint = names["status"], names["history"], names["endpoint"]
    assert [item["endpoint"]["name"] for item in status] == ["PLC Press"]
    assert history["endpoint"]["id"] == plc_id and isinstance(history["rollupDaily"], list)
    assert (endpoint["name"], endpoint["host"], endpoint["port"], endpoint["type"]) == (
        "New Server",
        "127.0.0.2",
        80,
        "tcp",
    )
    assert endpoint["configVersionId"] == 2


async def test_create_then_watch_a_new_endpoint(server: RunningPulse, client: PulseClient) -> None:
    scada = TcpListener(host="127.0.0.2")
    await scada.start()
    try:
        endpoint = await asyncio.to_thread(
            client.create_endpoint,
            {"name": "New Server", "address": "127.0.0.2", "type": "tcp", "port": scada.port},
        )

        async def up() -> list[dict[str, Any]] | None:
            status = await asyncio.to_thread(client.get_live_status)
            statuses = {item["endpoint"]["name"]: item["status"] for item in status}
            return status if statuses == {"PLC Press": "up", "New Server": "up"} else None

        status = await eventually(up)
        await server.pulse.writer.flush()
        an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        history = await asyncio.to_thread(
            client.get_endpoint_history, endpoint["id"], start_time=an_hour_ago
        )
    finally:
        await scada.stop()
    assert (endpoint["name"], endpoint["host"], endpoint["port"]) == (
        "New Server",
        "127.0.0.2",
        scada.port,
    )
    assert endpoint["configVersionId"] == 2
    assert [item["endpoint"]["group"]["id"] for item in status] == ["plant", "plant"]
    assert history["endpoint"]["id"] == endpoint["id"]
    assert history["raw"] and {check["status"] for check in history["raw"]} == {"up"}


async def test_live_status_filters(client: PulseClient) -> None:
    office = await asyncio.to_thread(client.get_live_status, group="office")
    found = await asyncio.to_thread(client.get_live_status, search="press")
    missed = await asyncio.to_thread(client.get_live_status, search="boiler")
    assert office == []
    assert [item["endpoint"]["name"] for item in found] == ["PLC Press"]
    assert missed == []


async def test_an_api_key_signs_in_too(server: RunningPulse) -> None:
    key = (await key_headers(server, Role.VIEWER))["Authorization"].removeprefix("Bearer ")
    with PulseClient(server.base_url, api_key=key) as client:
        status = await asyncio.to_thread(client.get_live_status)
    assert [item["endpoint"]["name"] for item in status] == ["PLC Press"]


async def test_history_of_rollups_with_datetimes(server: RunningPulse, client: PulseClient) -> None:
    plc_id = server.pulse.config.endpoints[0].id
    now = datetime.now(UTC)
    history = await asyncio.to_thread(
        client.get_endpoint_history,
        plc_id,
        start_time=now - timedelta(days=2),
        end_time=now.replace(tzinfo=None),  # naive: read as UTC
        bucket="15m",
    )
    assert history["raw"] == [] and isinstance(history["rollup15m"], list)


async def test_history_since_a_date_long_ago_needs_no_bucket(
    server: RunningPulse, client: PulseClient
) -> None:
    plc_id = server.pulse.config.endpoints[0].id
    history = await asyncio.to_thread(
        client.get_endpoint_history, plc_id, start_time="2024-01-15T00:00:00Z"
    )
    assert isinstance(history["rollupDaily"], list) and history["raw"] == []


def test_without_a_bucket_the_finest_one_the_range_allows_is_asked_for() -> None:
    now = datetime.now(UTC)
    assert finest_bucket(None, None) == "raw"
    assert finest_bucket(now - timedelta(hours=1), None) == "raw"
    assert finest_bucket("2024-01-15T00:00:00Z", "2024-03-01T00:00:00Z") == "15m"
    assert finest_bucket("2024-01-15T00:00:00Z", None) == "daily"


async def test_get_update_and_delete_an_endpoint(server: RunningPulse, client: PulseClient) -> None:
    plc_id = server.pulse.config.endpoints[0].id
    other = await asyncio.to_thread(
        client.create_endpoint, {"address": "127.0.0.3", "type": "icmp", "group": "office"}
    )
    renamed = await asyncio.to_thread(client.update_endpoint, plc_id, {"name": "Press 1"})
    detail = await asyncio.to_thread(client.get_endpoint, plc_id, window_minutes=5)
    removed = await asyncio.to_thread(client.delete_endpoint, other["id"])
    after = await asyncio.to_thread(client.get_live_status)
    assert (renamed["id"], renamed["name"]) == (plc_id, "Press 1")
    assert detail["endpoint"]["name"] == "Press 1" and "recent" in detail
    assert [endpoint["id"] for endpoint in removed["removed"]] == [other["id"]]
    assert [item["endpoint"]["id"] for item in after] == [plc_id]


async def test_refusals_carry_the_api_message(server: RunningPulse, client: PulseClient) -> None:
    with pytest.raises(BadRequestError) as invalid:
        await asyncio.to_thread(client.create_endpoint, {"address": "127.0.0.6", "type": "tcp"})
    with pytest.raises(NotFoundError) as missing:
        await asyncio.to_thread(client.get_endpoint, "no-such-endpoint")
    assert invalid.value.message == (
        "the endpoint is not valid: port: port is required for tcp targets"
    )
    assert invalid.value.body["errors"][0]["field"] == "port"
    assert str(missing.value) == (
        "endpoint 'no-such-endpoint' not found (HTTP 404): "
        "check the id: get_live_status() lists every endpoint with its id"
    )


async def test_wrong_password_and_too_low_a_role(server: RunningPulse) -> None:
    await add_user(server, "olga", Role.VIEWER, "correct horse")
    intruder = PulseClient(server.base_url, username="admin", password="wrong")
    viewer = PulseClient(server.base_url, username="olga", password="correct horse")
    with intruder, pytest.raises(AuthenticationError) as refused:
        await asyncio.to_thread(intruder.get_live_status)
    with viewer, pytest.raises(PermissionDeniedError) as forbidden:
        await asyncio.to_thread(viewer.delete_endpoint, server.pulse.config.endpoints[0].id)
    assert refused.value.status_code == 401 and refused.value.message
    assert str(refused.value).endswith(
        ": check the username and password, or the API key, given to the client"
    )
    assert forbidden.value.status_code == 403 and "editor" in forbidden.value.message


async def test_export_streams_csv_into_a_file(
    server: RunningPulse, client: PulseClient, tmp_path: Path
) -> None:
    async def checked() -> bool | None:
        await server.pulse.writer.flush()
        return True if server.pulse.writer.written else None

    await eventually(checked)
    now = datetime.now(UTC)
    target = tmp_path / "checks.csv"
    written = await asyncio.to_thread(
        client.export_history,
        target,
        now - timedelta(hours=1),
        now + timedelta(minutes=1),
        bucket="raw",
    )
    lines = target.read_text().splitlines()
    assert written == target.stat().st_size
    assert lines[0] == "endpointId,endpointName,groupId,groupName,ts,status,rttMs,error"
    assert lines[1].split(",")[1:4] == ["PLC Press", "plant", "Plant"]


async def test_a_refused_export_leaves_no_file(client: PulseClient, tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    with pytest.raises(BadRequestError) as refused:
        await asyncio.to_thread(
            client.export_history,
            target,
            "2024-01-31T00:00:00Z",
            "2024-01-01T00:00:00Z",
            bucket="daily",
        )
    assert "startTime" in refused.value.message
    assert not target.exists()


async def test_apply_configuration_dry_run_then_for_real(
    server: RunningPulse, client: PulseClient
) -> None:
    text = server.config_path.read_text().replace("name: PLC Press", "name: Press Line 1")
    preview = await asyncio.to_thread(client.apply_configuration, text, dry_run=True)
    unchanged = await asyncio.to_thread(client.get_live_status)
    applied = await asyncio.to_thread(client.apply_configuration, text, note="rename the press")
    assert (preview["dryRun"], preview["configVersionId"]) == (True, None)
    assert [endpoint["name"] for endpoint in preview["updated"]] == ["Press Line 1"]
    assert unchanged[0]["endpoint"]["name"] == "PLC Press"
    assert (applied["dryRun"], applied["configVersionId"]) == (False, 2)
    versions = await server.pulse.store.config_versions()
    assert versions[0].note == "rename the press"


async def test_an_invalid_configuration_is_refused_with_its_problems(client: PulseClient) -> None:
    with pytest.raises(BadRequestError) as refused:
        await asyncio.to_thread(client.apply_configuration, "version: 1\ntargets: 3\n")
    assert refused.value.message


def test_a_server_that_is_not_there() -> None:
    url = f"http://127.0.0.1:{free_tcp_port()}"
    client = PulseClient(url, api_key="pulse_x", timeout_s=2)
    with client, pytest.raises(PulseConnectionError) as error:
        client.get_live_status()
    assert str(error.value).startswith(f"cannot reach Pulse at {url}: ")
    assert str(error.value).endswith("; check the address and that Pulse runs")


@pytest.mark.parametrize(
    "credentials",
    [{"username": "admin"}, {"username": "admin", "password": "x", "api_key": "pulse_x"}],
)
def test_credentials_are_one_way_or_the_other(credentials: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="give"):
        PulseClient("http://127.0.0.1:8080", **credentials)  # type: ignore[arg-type]
