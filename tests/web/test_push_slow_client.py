"""A WebSocket client that stops reading is disconnected with a reason, and neither the
monitor nor a client that keeps up waits for it; one that never reads again (WebSocket or
SSE) loses its TCP connection instead of keeping it and its buffers."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

from pulse_core.models import State, StatusChange
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse

QUEUE_SIZE = 16
BURST = 4  # published at once; the next burst waits for the fast client to read this one


def config(port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, retries: 0, timeout_ms: 500}}
groups: [{{id: plant, name: Plant}}]
targets: [{{type: tcp, host: 127.0.0.1, port: {port}, group: plant, name: PLC}}]
push: {{client_queue_size: {QUEUE_SIZE}}}
"""


def flood_id(number: int) -> str:
    """Long, so that fewer messages fill the socket buffers between server and client."""
    return f"flood-{number}-" + "x" * 4000


class SilentClient:
    """A WebSocket client that stops reading after the handshake, so the kernel's buffers
    fill and the server's writes to it block — as for a client on a stalled network. (The
    ``websockets`` client keeps reading into memory, so it cannot play this part.) wsproto
    speaks the protocol; reading resumes on demand to see how the server said goodbye."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        assert isinstance(writer.transport, asyncio.Transport)
        self.transport = writer.transport
        self.protocol = WSConnection(ConnectionType.CLIENT)

    @classmethod
    async def connect(cls, server: RunningPulse) -> SilentClient:
        host, port = server.base_url.removeprefix("http://").split(":")
        client = cls(*await asyncio.open_connection(host, int(port)))
        headers = [(name.encode(), value.encode()) for name, value in server.auth_headers.items()]
        client.writer.write(client.protocol.send(
            Request(host=host, target="/api/ws/status", extra_headers=headers)
        ))
        client.protocol.receive_data(await client.reader.readuntil(b"\r\n\r\n"))
        assert any(isinstance(event, AcceptConnection) for event in client.protocol.events())
        client.transport.pause_reading()
        return client

    @classmethod
    async def connect_to_events(cls, server: RunningPulse) -> SilentClient:
        """The same, for the SSE stream: a plain HTTP request, then no more reading."""
        host, port = server.base_url.removeprefix("http://").split(":")
        client = cls(*await asyncio.open_connection(host, int(port)))
        headers = "".join(f"{name}: {value}\r\n" for name, value in server.auth_headers.items())
        client.writer.write(
            f"GET /api/events/status HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n".encode()
        )
        head = await client.reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        client.transport.pause_reading()
        return client

    def tcp_state(self) -> int:
        """The kernel's state of this end of the connection (``TCP_INFO``), read without
        reading any data: ESTABLISHED until the server closes or resets it."""
        info = self.transport.get_extra_info("socket").getsockopt(
            socket.IPPROTO_TCP, socket.TCP_INFO, 8
        )
        return info[0]

    async def read_to_the_close(self) -> tuple[int, CloseConnection]:
        """Read everything now: the number of messages, then the close frame."""
        self.transport.resume_reading()
        messages = 0
        async with asyncio.timeout(15):
            while data := await self.reader.read(65536):
                self.protocol.receive_data(data)
                for event in self.protocol.events():
                    if isinstance(event, CloseConnection):
                        self.writer.close()
                        return messages, event
                    if isinstance(event, TextMessage) and event.message_finished:
                        messages += 1
        raise AssertionError("the connection ended without a close frame")


class Reader:
    """Reads a connection as fast as it can, noting when each message arrived."""

    def __init__(self, connection: ClientConnection) -> None:
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self.flood_seen = 0
        self.task = asyncio.create_task(self._read(connection))

    async def _read(self, connection: ClientConnection) -> None:
        async for text in connection:
            message = json.loads(text)
            self.messages.append((time.monotonic(), message))
            if message["data"].get("endpointId", "").startswith("flood-"):
                self.flood_seen += 1

    async def caught_up_with(self, flood: int) -> None:
        """Wait until the first ``flood`` flood messages have arrived."""
        while self.flood_seen < flood:
            await asyncio.sleep(0)

    def updates(self) -> list[dict[str, Any]]:
        return [m["data"] for _, m in self.messages if m["type"] == "status_update"]

    async def arrival_of(self, endpoint_id: str, status: str) -> float:
        async with asyncio.timeout(15):
            while True:
                for arrived, message in self.messages:
                    data = message["data"]
                    if message["type"] == "status_update" and (
                        data["endpointId"], data["status"]) == (endpoint_id, status):
                        return arrived
                await asyncio.sleep(0.01)


async def published(server: RunningPulse, endpoint_id: str, state: State) -> float:
    """When the monitor publishes ``endpoint_id``'s change to ``state``."""
    with server.pulse.events.subscribe(
        10, lambda change: (change.endpoint_id, change.state) == (endpoint_id, state)
    ) as watch:
        await asyncio.wait_for(watch.next(), 15)
        return time.monotonic()


async def test_a_client_that_stops_reading_is_dropped_and_delays_nobody(tmp_path: Path) -> None:
    listener = TcpListener()
    await listener.start()
    async with running_pulse(config(listener.port), tmp_path) as server:
        plc = server.pulse.config.endpoints[0].id
        url = server.base_url.replace("http://", "ws://") + "/api/ws/status"
        slow = await SilentClient.connect(server)
        async with connect(url, additional_headers=server.auth_headers) as fast_connection:
            fast = Reader(fast_connection)
            bus = server.pulse.events
            flood = 0
            async with asyncio.timeout(60):
                while bus.subscriber_count == 2:  # until the slow client is dropped
                    for _ in range(BURST):
                        bus.publish(StatusChange(flood_id(flood), time.time(), State.UP,
                                                 State.DOWN))
                        flood += 1
                    await fast.caught_up_with(flood)

            received, goodbye = await slow.read_to_the_close()
            assert goodbye.code == 1013 and "too slow" in (goodbye.reason or "")
            assert received < flood + 1  # the snapshot and part of the flood, not all of it

            publishing = asyncio.create_task(published(server, plc, State.DOWN))
            await listener.stop()
            offline_published = await publishing
            offline_arrived = await fast.arrival_of(plc, "offline")

    assert offline_arrived - offline_published < 0.5
    flood_seen = [data["endpointId"] for data in fast.updates()
                  if data["endpointId"].startswith("flood-")]
    assert flood_seen == [flood_id(number) for number in range(flood)]


#: ``tcpi_state`` of an open connection (linux/tcp_states.h)
TCP_ESTABLISHED = 1


async def flood_until_cut_off(server: RunningPulse, client: SilentClient) -> None:
    """Publish big changes until the server closes or resets the connection of ``client``,
    which reads none of them."""
    bus = server.pulse.events
    async with asyncio.timeout(60):
        number = 0
        while client.tcp_state() == TCP_ESTABLISHED:
            for _ in range(BURST):
                bus.publish(StatusChange(flood_id(number), time.time(), State.UP, State.DOWN))
                number += 1
            await asyncio.sleep(0.005)


@pytest.mark.parametrize("route", ["websocket", "sse"])
async def test_a_client_that_never_reads_again_loses_its_connection(
    tmp_path: Path, route: str
) -> None:
    async with running_pulse(config(9), tmp_path) as server:
        if route == "websocket":
            silent = await SilentClient.connect(server)
        else:
            silent = await SilentClient.connect_to_events(server)
        await flood_until_cut_off(server, silent)
        state = silent.tcp_state()
        silent.writer.close()
        async with asyncio.timeout(15):  # its stream has ended: it left the bus
            while server.pulse.events.subscriber_count:
                await asyncio.sleep(0.05)
    assert state != TCP_ESTABLISHED
