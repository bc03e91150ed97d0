"""The HTTP/1.1 exchange against a raw server that answers with bytes written by hand, for the
framings a well-behaved test server never produces: chunked bodies, bodies ended by closing,
interim answers, broken status lines."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from pulse_probe_http.client import ProtocolError, exchange


class RawServer:
    """Answers every connection with ``answer`` once the request head is in, then closes."""

    def __init__(self) -> None:
        self.answer = b""
        self.requests: list[bytes] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.requests.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(self.answer)
        await writer.drain()
        writer.close()


@pytest_asyncio.fixture
async def raw_server() -> AsyncIterator[RawServer]:
    server = RawServer()
    await server.start()
    yield server
    await server.stop()


async def fetch(server: RawServer, method: str = "GET", limit: int = 1000) -> tuple[int, bytes]:
    url = httpx.URL(f"http://127.0.0.1:{server.port}/status?x=1")
    async with exchange(url, method, [("User-Agent", "t")], ssl.create_default_context()) as response:
        return response.status, await response.read_body(limit)


async def test_the_request_is_one_http_1_1_head_that_asks_to_close(raw_server: RawServer) -> None:
    raw_server.answer = b"HTTP/1.1 204 No Content\r\n\r\n"
    await fetch(raw_server, "POST")
    assert raw_server.requests == [
        f"POST /status?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{raw_server.port}\r\nUser-Agent: t\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
    ]


async def test_a_chunked_body_is_joined_and_cut_at_the_limit(raw_server: RawServer) -> None:
    raw_server.answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    assert await fetch(raw_server) == (200, b"hello world")
    assert await fetch(raw_server, limit=7) == (200, b"hello w")


async def test_a_body_without_length_ends_when_the_server_closes(raw_server: RawServer) -> None:
    raw_server.answer = b"HTTP/1.0 200 OK\r\n\r\nall of it"
    assert await fetch(raw_server) == (200, b"all of it")


async def test_interim_answers_are_skipped(raw_server: RawServer) -> None:
    raw_server.answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    assert await fetch(raw_server) == (200, b"ok")


async def test_head_answers_have_no_body(raw_server: RawServer) -> None:
    raw_server.answer = b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"
    assert await fetch(raw_server, "HEAD") == (200, b"")


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "the answer is not HTTP/1.x"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "before the whole body"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "in the middle of the response"),
    ],
)
async def test_broken_answers_are_protocol_errors(
    raw_server: RawServer, answer: bytes, complaint: str
) -> None:
    raw_server.answer = answer
    with pytest.raises(ProtocolError, match=complaint):
        await fetch(raw_server)
