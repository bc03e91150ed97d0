"""The loopback servers the testing kit hands to plugin tests: a UDP echo and an HTTP server,
used through the fixtures every project with pulse-core installed gets."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from pulse_core.testing.listeners import UdpEcho
from pulse_core.testing.receivers import Receiver, Reply


async def ask(echo: UdpEcho, payload: bytes, timeout_s: float = 1.0) -> bytes:
    """Send one datagram from a connected socket (so the kernel reports port unreachable)."""
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.setblocking(False)
        client.connect((echo.host, echo.port))
        client.send(payload)
        return await asyncio.wait_for(loop.sock_recv(client, 2048), timeout_s)


async def test_udp_echo_answers_drops_and_goes_away(udp_echo: UdpEcho) -> None:
    assert await ask(udp_echo, b"sysUpTime?") == b"sysUpTime?"

    udp_echo.answering = False
    with pytest.raises(TimeoutError):
        await ask(udp_echo, b"anyone?", timeout_s=0.3)
    assert udp_echo.received == [b"sysUpTime?", b"anyone?"]

    await udp_echo.stop()
    with pytest.raises(ConnectionRefusedError):
        await ask(udp_echo, b"still there?")
    udp_echo.answering = True
    await udp_echo.start()  # back on the same port
    assert await ask(udp_echo, b"again") == b"again"


async def test_http_server_answers_records_and_follows_a_script(http_server: Receiver) -> None:
    async with httpx.AsyncClient() as client:
        first = await client.get(f"{http_server.url}/status")
        http_server.script(Reply(503, "maintenance"))
        second = await client.post(f"{http_server.url}/status", json={"probe": 1})
        third = await client.get(f"{http_server.url}/status")
    assert [first.status_code, second.status_code, third.status_code] == [200, 503, 200]
    assert [(r.method, r.path) for r in http_server.requests] == [
        ("GET", "/status"), ("POST", "/status"), ("GET", "/status")
    ]
    assert http_server.requests[1].json() == {"probe": 1}
