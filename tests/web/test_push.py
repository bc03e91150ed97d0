"""Live push over WebSocket and SSE against a real server, with real clients: the messages
of docs/integrations.md after a real status change, snapshot first, filters, resume,
heartbeat, clean-up."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from pulse_core.models import State, StatusChange
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UPDATE_FIELDS = {"endpointId", "status", "responseTime", "previousStatus"}

QUIET_PLANT = """
version: 1
defaults: {interval_seconds: 3600}
groups:
  - {id: plant, name: Plant}
  - {id: line-1, name: Line 1, parent_id: plant}
  - {id: office, name: Office}
targets:
  - {type: tcp, host: 127.0.0.1, port: 9, group: plant, name: Gateway}
  - {type: tcp, host: 127.0.0.2, port: 9, group: line-1, name: PLC}
  - {type: tcp, host: 127.0.0.3, port: 9, group: office, name: Printer}
push: {heartbeat_seconds: 1}
"""


def watched_listener_config(port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, retries: 0, timeout_ms: 500}}
groups: [{{id: plant, name: Plant}}]
targets: [{{type: tcp, host: 127.0.0.1, port: {port}, group: plant, name: PLC}}]
"""


def endpoint_id(server: RunningPulse, name: str) -> str:
    return next(ep.id for ep in server.pulse.config.endpoints if ep.name == name)


def change_of(endpoint: str, state: State, previous: State) -> StatusChange:
    """A change as the monitor publishes it once stored."""
    return StatusChange(endpoint, time.time(), state, previous, 1.5)


def socket_url(server: RunningPulse, query: str = "") -> str:
    return server.base_url.replace("http://", "ws://") + "/api/ws/status" + query


def open_socket(server: RunningPulse, query: str = "") -> Any:
    return connect(socket_url(server, query), additional_headers=server.auth_headers)


async def next_json(socket: ClientConnection, timeout_s: float = 10.0) -> dict[str, Any]:
    message = await asyncio.wait_for(socket.recv(), timeout_s)
    decoded: dict[str, Any] = json.loads(message)
    return decoded


async def next_update(socket: ClientConnection, status: str) -> dict[str, Any]:
    """The next ``status_update`` to ``status``, skipping others (e.g. the first state)."""
    while True:
        message = await next_json(socket, timeout_s=15.0)
        if message["type"] == "status_update" and message["data"]["status"] == status:
            return message


def assert_status_update(
    message: dict[str, Any], endpoint: str, status: str, previous: str
) -> None:
    assert set(message) == {"type", "timestamp", "data"}
    assert message["type"] == "status_update"
    assert ISO_UTC.match(message["timestamp"])
    data = message["data"]
    assert set(data) == UPDATE_FIELDS
    assert data["endpointId"] == endpoint
    assert data["status"] == status
    assert data["previousStatus"] == previous


def assert_snapshot(message: dict[str, Any], endpoint_ids: set[str]) -> list[dict[str, Any]]:
    assert message["type"] == "snapshot"
    assert ISO_UTC.match(message["timestamp"])
    items: list[dict[str, Any]] = message["data"]["items"]
    assert {item["endpointId"] for item in items} == endpoint_ids
    for item in items:
        assert item["status"] in {"online", "offline", "unknown"}
        assert {"name", "groupId", "responseTime", "lastCheckTs", "lastChangeTs"} <= set(item)
    return items


async def wait_for_subscribers(server: RunningPulse, count: int) -> None:
    async with asyncio.timeout(10):
        while server.pulse.events.subscriber_count != count:
            await asyncio.sleep(0.02)


# --- Server-Sent Events, read with httpx streaming -------------------------------------------


@dataclass
class SseBlock:
    """One block of an event stream, up to its blank line."""

    id: str | None = None
    data: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def message(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads("\n".join(self.data))
        return decoded


class SseReader:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next_block(self, timeout_s: float = 15.0) -> SseBlock:
        block = SseBlock()
        async with asyncio.timeout(timeout_s):
            async for line in self._lines:
                if line == "":
                    return block
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "":
                    block.comments.append(value)
                elif name == "id":
                    block.id = value
                elif name == "data":
                    block.data.append(value)
        raise AssertionError("the event stream ended")

    async def next_event(self, timeout_s: float = 15.0) -> SseBlock:
        """The next block carrying data (heartbeats skipped)."""
        while True:
            block = await self.next_block(timeout_s)
            if block.data:
                return block


@contextlib.asynccontextmanager
async def open_events(
    server: RunningPulse, query: str = "", headers: dict[str, str] | None = None
) -> AsyncIterator[SseReader]:
    async with server.client(timeout=None) as client:
        async with client.stream(
            "GET", "/api/events/status" + query, headers=headers or {}
        ) as response:
            yield SseReader(response)


# --- the documented messages after a real status change --------------------------------------


async def test_websocket_sends_a_snapshot_then_the_status_updates(tmp_path: Path) -> None:
    listener = TcpListener()
    await listener.start()
    async with running_pulse(watched_listener_config(listener.port), tmp_path) as server:
        plc = endpoint_id(server, "PLC")
        async with open_socket(server) as socket:
            items = assert_snapshot(await next_json(socket), {plc})
            if items[0]["status"] != "online":
                online = await next_update(socket, "online")
                assert_status_update(online, plc, "online", items[0]["status"])
                assert isinstance(online["data"]["responseTime"], float)
                assert online["data"]["responseTime"] >= 0
            await listener.stop()
            offline = await next_update(socket, "offline")
    assert_status_update(offline, plc, "offline", "online")
    response_time = offline["data"]["responseTime"]
    assert response_time is None or response_time >= 0


async def test_sse_sends_a_snapshot_then_the_status_updates(tmp_path: Path) -> None:
    listener = TcpListener()
    await listener.start()
    async with running_pulse(watched_listener_config(listener.port), tmp_path) as server:
        plc = endpoint_id(server, "PLC")
        async with open_events(server) as events:
            headers = events.response.headers
            assert events.response.status_code == 200
            assert headers["content-type"].startswith("text/event-stream")
            assert headers["cache-control"] == "no-cache"
            assert headers["x-accel-buffering"] == "no"
            first = await events.next_event()
            assert first.id is not None and first.id.isdigit()
            items = assert_snapshot(first.message(), {plc})
            seen = items[0]["status"]
            while seen != "online":
                update = await events.next_event()
                assert update.id is not None and int(update.id) > int(first.id)
                assert_status_update(update.message(), plc, "online", "unknown")
                seen = "online"
            await listener.stop()
            offline = await events.next_event()
    assert_status_update(offline.message(), plc, "offline", "online")


# --- filters -------------------------------------------------------------------------------


async def test_a_group_filter_includes_child_groups_in_snapshot_and_updates(
    tmp_path: Path,
) -> None:
    async with running_pulse(QUIET_PLANT, tmp_path) as server:
        gateway, plc, printer = (endpoint_id(server, n) for n in ("Gateway", "PLC", "Printer"))
        async with open_socket(server, "?group=plant") as socket:
            assert_snapshot(await next_json(socket), {gateway, plc})
            server.pulse.events.publish(change_of(printer, State.DOWN, State.UP))
            server.pulse.events.publish(change_of(plc, State.DOWN, State.UP))
            assert_status_update(await next_json(socket), plc, "offline", "online")
        async with open_events(server, "?group=line-1") as events:
            assert_snapshot((await events.next_event()).message(), {plc})
            server.pulse.events.publish(change_of(gateway, State.UP, State.UNKNOWN))
            server.pulse.events.publish(change_of(plc, State.UP, State.UNKNOWN))
            assert_status_update((await events.next_event()).message(), plc, "online", "unknown")


async def test_an_endpoint_filter_sends_that_endpoint_only(tmp_path: Path) -> None:
    async with running_pulse(QUIET_PLANT, tmp_path) as server:
        gateway, printer = endpoint_id(server, "Gateway"), endpoint_id(server, "Printer")
        async with open_socket(server, f"?endpointId={printer}") as socket:
            assert_snapshot(await next_json(socket), {printer})
            server.pulse.events.publish(change_of(gateway, State.DOWN, State.UP))
            server.pulse.events.publish(change_of(printer, State.DOWN, State.UP))
            assert_status_update(await next_json(socket), printer, "offline", "online")


async def test_unknown_filters_are_refused_before_streaming(tmp_path: Path) -> None:
    async with running_pulse(QUIET_PLANT, tmp_path) as server:
        with pytest.raises(InvalidStatus) as refused:
            async with open_socket(server, "?group=nowhere"):
                pass
        assert refused.value.response.status_code == 400
        async with server.client() as client:
            reply = await client.get("/api/events/status?endpointId=nothing")
        assert reply.status_code == 400
        assert "nothing" in reply.json()["message"]


# --- no snapshot, for a client that reads the state from /api/status/live ------------------


async def test_snapshot_false_sends_the_updates_without_a_snapshot(tmp_path: Path) -> None:
    async with running_pulse(QUIET_PLANT, tmp_path) as server:
        plc = endpoint_id(server, "PLC")
        bus = server.pulse.events
        async with open_socket(server, "?snapshot=false") as socket:
            await wait_for_subscribers(server, 1)
            bus.publish(change_of(plc, State.DOWN, State.UP))
            assert_status_update(await next_json(socket), plc, "offline", "online")
        await wait_for_subscribers(server, 0)
        async with open_events(server, "?snapshot=false") as events:
            await wait_for_subscribers(server, 1)
            bus.publish(change_of(plc, State.UP, State.DOWN))
            first = await events.next_event()
            assert first.id == str(bus.last_id)
            assert_status_update(first.message(), plc, "online", "offline")


async def test_a_snapshot_that_is_not_true_or_false_is_refused(tmp_path: Path) -> None:
    async with running_pulse(QUIET_PLANT, tmp_path) as server:
        with pytest.raises(InvalidStatus) as refused:
            async with open_socket(server, "?snapshot=never"):
                pass
        assert refused.value.response.status_code == 400
        async with server.client() as client:
            reply = await client.get("/api/events/status?snapshot=never")
        assert reply.status_code == 400
        assert "snapshot='never' must be true or false" in reply.json()["message"]


async def test_a_mass_outage_published_at_once_reaches_a_client_with_the_defaults(
    tmp_path: Path,
) -> None:
    """The changes of one stored batch are published in one go, before any sender runs."""
    async with running_pulse(QUIET_PLANT, tmp_path) as server:
        plc = endpoint_id(server, "PLC")
        async with open_socket(server, "?snapshot=false") as socket:
            await wait_for_subscribers(server, 1)
            for number in range(2000):
                down = number % 2 == 0
                server.pulse.events.publish(change_of(
                    plc, State.DOWN if down else State.UP, State.UP if down else State.DOWN
                ))
            received = [await next_json(socket) for _ in range(2000)]
    assert [message["data"]["status"] for message in received[:2]] == ["offline", "online"]
    assert {message["type"] for message in received} == {"status_update"}


# --- SSE: resume, heartbeat ------------------------------------------------------------------


async def test_sse_resumes_after_last_event_id_without_a_snapshot(tmp_path: Path) -> None:
    async with running_pulse(QUIET_PLANT, tmp_path) as server:
        plc = endpoint_id(server, "PLC")
        bus = server.pulse.events
        async with open_events(server) as events:
            assert (await events.next_event()).message()["type"] == "snapshot"
            bus.publish(change_of(plc, State.UP, State.UNKNOWN))
            bus.publish(change_of(plc, State.DOWN, State.UP))
            seen = await events.next_event()
            assert seen.message()["data"]["status"] == "online"
        bus.publish(change_of(plc, State.UP, State.DOWN))  # while disconnected
        async with open_events(server, headers={"Last-Event-ID": str(seen.id)}) as events:
            missed = [await events.next_event() for _ in range(2)]
            assert [block.message()["data"]["status"] for block in missed] == [
                "offline", "online",
            ]
            assert [int(block.id or 0) for block in missed] == [int(str(seen.id)) + 1,
                                                              int(str(seen.id)) + 2]
            bus.publish(change_of(plc, State.DOWN, State.UP))
            live = (await events.next_event()).message()
            assert_status_update(live, plc, "offline", "online")


@pytest.mark.parametrize("last_event_id", ["1", "not-an-id", "99999999999999999999"])
async def test_sse_sends_a_fresh_snapshot_when_it_cannot_resume(
    tmp_path: Path, last_event_id: str
) -> None:
    async with running_pulse(QUIET_PLANT, tmp_path) as server:
        server.pulse.events.publish(change_of(endpoint_id(server, "PLC"), State.UP, State.UNKNOWN))
        async with open_events(server, headers={"Last-Event-ID": last_event_id}) as events:
            first = await events.next_event()
    assert first.message()["type"] == "snapshot"
    assert first.id == str(server.pulse.events.last_id)


async def test_a_quiet_sse_stream_carries_heartbeat_comments(tmp_path: Path) -> None:
    async with running_pulse(QUIET_PLANT, tmp_path) as server:
        async with open_events(server) as events:
            await events.next_event()
            started = time.monotonic()
            heartbeat = await events.next_block(timeout_s=5)
    assert heartbeat.comments == ["heartbeat"] and not heartbeat.data
    assert time.monotonic() - started < 2


# --- credentials and clean-up ----------------------------------------------------------------


async def test_clients_without_headers_may_send_an_api_key_as_token(tmp_path: Path) -> None:
    async with running_pulse(QUIET_PLANT, tmp_path) as server:
        key = server.auth_headers["Authorization"].removeprefix("Bearer ")
        with pytest.raises(InvalidStatus) as refused:
            async with connect(socket_url(server)):
                pass
        assert refused.value.response.status_code == 401
        async with connect(socket_url(server, f"?token={key}")) as socket:
            assert (await next_json(socket))["type"] == "snapshot"
        async with httpx.AsyncClient(base_url=server.base_url, timeout=None) as anonymous:
            assert (await anonymous.get("/api/events/status")).status_code == 401
            async with anonymous.stream("GET", f"/api/events/status?token={key}") as response:
                first = await SseReader(response).next_event()
        assert first.message()["type"] == "snapshot"


async def test_a_client_that_leaves_leaves_the_bus(tmp_path: Path) -> None:
    async with running_pulse(QUIET_PLANT, tmp_path) as server:
        async with open_socket(server) as socket, open_events(server) as events:
            await next_json(socket)
            await events.next_event()
            assert server.pulse.events.subscriber_count == 2
        await wait_for_subscribers(server, 0)
