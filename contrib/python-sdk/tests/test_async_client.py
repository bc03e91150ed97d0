"""AsyncPulseClient against a real Pulse: the same calls as PulseClient, and a status-change
loop that outlives a cut connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from thingconnect_pulse import (
    AsyncPulseClient,
    AuthenticationError,
    NotFoundError,
    StatusChange,
    Transport,
)

from pulse_core.models import State
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse
from pulse_core.testing.waiting import eventually

from .conftest import PASSWORD, PUSH_ROUTES, USERNAME
from .relay import Relay
from .test_status_changes import damped_state


async def test_reads_and_writes(server: RunningPulse, tmp_path: Path) -> None:
    plc_id = server.pulse.config.endpoints[0].id
    async with AsyncPulseClient(server.base_url, username=USERNAME, password=PASSWORD) as client:
        created = await client.create_endpoint({"address": "127.0.0.3", "type": "icmp"})
        status = await client.get_live_status(group="plant")
        detail = await client.get_endpoint(plc_id, window_minutes=5)
        history = await client.get_endpoint_history(plc_id, start_time="2024-01-15T00:00:00Z")
        now = datetime.now(UTC)
        written = await client.export_history(
            tmp_path / "raw.csv", now - timedelta(hours=1), now, bucket="raw"
        )
        renamed = await client.update_endpoint(created["id"], {"name": "Spare HMI"})
        removed = await client.delete_endpoint(created["id"])
        preview = await client.apply_configuration(
            server.config_path.read_text(), dry_run=True
        )
        with pytest.raises(NotFoundError):
            await client.get_endpoint(created["id"])
    assert [item["endpoint"]["name"] for item in status] == ["ICMP 127.0.0.3", "PLC Press"]
    assert detail["endpoint"]["id"] == plc_id
    assert history["raw"] == [] and isinstance(history["rollupDaily"], list)
    assert written == (tmp_path / "raw.csv").stat().st_size
    assert (tmp_path / "raw.csv").read_text().startswith("endpointId,endpointName,")
    assert renamed["name"] == "Spare HMI"
    assert [endpoint["id"] for endpoint in removed["removed"]] == [created["id"]]
    assert preview["dryRun"] is True and [e["id"] for e in preview["added"]] == []


async def test_status_changes_go_on_after_a_cut_connection(
    server: RunningPulse, plc: TcpListener, relay: Relay, transport: Transport
) -> None:
    await eventually(lambda: damped_state(server, State.UP))
    relay.upstream_port = server.pulse.config.server.port
    errors: list[Exception] = []
    async with AsyncPulseClient(relay.url, username=USERNAME, password=PASSWORD) as client:
        changes = client.status_changes(
            group="plant", on_error=errors.append, transport=transport
        )
        streams = server.pulse.events.subscriber_count
        first = asyncio.ensure_future(anext(changes))

        async def streaming() -> bool | None:
            return True if server.pulse.events.subscriber_count > streams else None

        await eventually(streaming)
        relay.cut()  # the change below happens while the client is away
        await plc.stop()
        change: StatusChange = await asyncio.wait_for(first, 30)
        await plc.start()
        back: StatusChange = await asyncio.wait_for(anext(changes), 30)
        await changes.aclose()  # type: ignore[attr-defined]
    assert (change.previous_status, change.status) == ("online", "offline")
    assert (back.previous_status, back.status) == ("offline", "online")
    assert [type(error).__name__ for error in errors] == ["PulseConnectionError"]
    assert relay.paths == [PUSH_ROUTES[transport]] * 2


async def test_a_refused_status_loop_raises(server: RunningPulse) -> None:
    async with AsyncPulseClient(server.base_url, username=USERNAME, password="wrong") as client:
        changes: AsyncIterator[StatusChange] = client.status_changes()
        with pytest.raises(AuthenticationError):
            await anext(changes)
