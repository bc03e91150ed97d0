"""A lean HTTP/1.1 exchange: one connection per check, one request, closed after the answer.

Why not httpx: measured with ``bench/run`` on a 2-core machine, an httpx request cost about
1.5-2 ms of CPU (anyio cancel scopes, a connection pool scanned on every request, a failed
``import sniffio`` per request), twenty times a TCP check, which made 2,000 HTTP endpoints
alone eat a core. A check needs none of what that buys: it sends one request and reads one
answer, and keeping connections alive is useless at monitoring intervals (a server closes an
idle connection after a few seconds; an interval is 10 s) and would hide a device that no
longer accepts connections. So: the request written in one piece, the head read with one
``readuntil``, the body only when asked and only up to a limit, plain, chunked or until the
server closes.

Plain http reads straight from the socket (:class:`SocketReader`, ``loop.sock_recv``); only
https goes through ``asyncio.open_connection`` for the standard library's TLS. A transport, a
protocol, a reader and a writer per check were half of a plain check's CPU.
"""

from __future__ import annotations

import asyncio
import codecs
import socket
import ssl
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from pulse_core.contract import literal_family

MAX_HEAD_BYTES = 64 * 1024
READ_SIZE = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: methods whose requests say they carry no body, so a server does not wait for one
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class ProtocolError(Exception):
    """The server broke off or did not speak HTTP/1.x; the message is for people."""


class ByteStream(Protocol):
    """The reads an answer needs; ``asyncio.StreamReader`` and :class:`SocketReader` have them."""

    async def readuntil(self, separator: bytes) -> bytes: ...

    async def readexactly(self, n: int) -> bytes: ...

    async def read(self, n: int) -> bytes: ...


class SocketReader:
    """:class:`ByteStream` over a connected non-blocking socket, with the errors of
    ``asyncio.StreamReader`` (``IncompleteReadError``, ``LimitOverrunError``)."""

    def __init__(self, sock: socket.socket, limit: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._sock = sock
        self._limit = limit
        self._buffer = bytearray()
        self._eof = False

    async def readuntil(self, separator: bytes) -> bytes:
        searched = 0
        while (found := self._buffer.find(separator, searched)) < 0:
            if len(self._buffer) > self._limit:
                raise asyncio.LimitOverrunError("separator not found", len(self._buffer))
            searched = max(0, len(self._buffer) - len(separator) + 1)
            if not await self._fill():
                raise asyncio.IncompleteReadError(self._take(len(self._buffer)), None)
        if found > self._limit:
            raise asyncio.LimitOverrunError("separator found beyond the limit", found)
        return self._take(found + len(separator))

    async def readexactly(self, n: int) -> bytes:
        while len(self._buffer) < n:
            if not await self._fill():
                raise asyncio.IncompleteReadError(self._take(len(self._buffer)), n)
        return self._take(n)

    async def read(self, n: int) -> bytes:
        if not self._buffer:
            await self._fill()
        return self._take(min(n, len(self._buffer)))

    async def _fill(self) -> bool:
        """Receive what the server sent next; ``False`` once it has closed."""
        if not self._eof:
            data = await self._loop.sock_recv(self._sock, READ_SIZE)
            self._eof = not data
            self._buffer += data
        return not self._eof

    def _take(self, n: int) -> bytes:
        taken = bytes(self._buffer[:n])
        del self._buffer[:n]
        return taken


@dataclass
class Response:
    """The head of an answer; :meth:`read_body` reads (part of) the rest."""

    method: str
    status: int
    #: lower-case names; a repeated header keeps its last value
    headers: dict[str, str]
    _reader: ByteStream

    @property
    def is_redirect(self) -> bool:
        return self.status in REDIRECT_STATUSES and "location" in self.headers

    @property
    def charset(self) -> str:
        """The ``charset`` of ``Content-Type`` when Python knows it, else UTF-8."""
        for parameter in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.lower() == "charset":
                try:
                    return codecs.lookup(value.strip("\"' ")).name
                except LookupError:
                    break
        return "utf-8"

    async def read_body(self, limit: int) -> bytes:
        """Up to ``limit`` bytes of the body (``b""`` for answers that have none)."""
        if self.method == "HEAD" or self.status in (204, 304):
            return b""
        try:
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                return await self._read_chunked(limit)
            length = self.headers.get("content-length")
            if length is not None and length.isdigit():
                return await self._reader.readexactly(min(int(length), limit))
            return await self._read_until_closed(limit)
        except asyncio.IncompleteReadError:
            raise ProtocolError("server disconnected before the whole body was sent") from None

    async def _read_chunked(self, limit: int) -> bytes:
        body = bytearray()
        while len(body) < limit:
            size_line = await self._reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";", 1)[0], 16)
            except ValueError:
                raise ProtocolError("malformed chunked body") from None
            if size == 0:
                break
            body += await self._reader.readexactly(min(size, limit - len(body)))
            if len(body) < limit:
                await self._reader.readexactly(2)  # the CRLF closing the chunk
        return bytes(body)

    async def _read_until_closed(self, limit: int) -> bytes:
        body = bytearray()
        while len(body) < limit:
            chunk = await self._reader.read(READ_SIZE)
            if not chunk:
                break
            body += chunk
        return bytes(body[:limit])


@asynccontextmanager
async def exchange(
    url: httpx.URL,
    method: str,
    headers: Sequence[tuple[str, str]],
    tls: ssl.SSLContext,
) -> AsyncIterator[Response]:
    """Connect, send ``method url`` with ``headers`` (after Host, which they may not
    override), and yield the answer's head; the connection is dropped on the way out."""
    request = _request_bytes(url, method, headers)
    if url.scheme != "https":
        with await _connect(url.host, url.port or 80) as sock:
            await asyncio.get_running_loop().sock_sendall(sock, request)
            yield await _read_head(SocketReader(sock, MAX_HEAD_BYTES), method)
        return
    reader, writer = await asyncio.open_connection(
        url.host, url.port or 443, ssl=tls, limit=MAX_HEAD_BYTES
    )
    try:
        writer.write(request)
        yield await _read_head(reader, method)
    finally:
        writer.transport.abort()


async def _connect(host: str, port: int) -> socket.socket:
    """A non-blocking socket connected to the first address of ``host`` that accepts, as
    ``open_connection`` does (IP literals need no lookup); the last error if none does."""
    loop = asyncio.get_running_loop()
    family = literal_family(host)
    addresses: list[tuple[socket.AddressFamily, tuple[Any, ...]]]
    if family is None:
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [(family, address) for family, _, _, _, address in found]
    else:
        addresses = [(family, (host, port))]
    error: OSError | None = None
    for family, address in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
        except BaseException as failed:
            sock.close()
            if not isinstance(failed, OSError):
                raise
            error = failed
        else:
            return sock
    assert error is not None, "getaddrinfo returns at least one address or raises"
    raise error


def _request_bytes(url: httpx.URL, method: str, headers: Sequence[tuple[str, str]]) -> bytes:
    lines = [f"{method} {url.raw_path.decode('ascii')} HTTP/1.1", f"Host: {url.netloc.decode('ascii')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if method in _BODY_METHODS:
        lines.append("Content-Length: 0")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _read_head(reader: ByteStream, method: str) -> Response:
    """The first final (non-1xx) answer's status line and headers."""
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            if error.partial:
                raise ProtocolError("server disconnected in the middle of the response") from None
            raise ProtocolError("server disconnected without sending a response") from None
        except ConnectionResetError:  # it closed without reading the request: an RST
            raise ProtocolError("server disconnected without sending a response") from None
        except asyncio.LimitOverrunError:
            raise ProtocolError(f"response headers longer than {MAX_HEAD_BYTES} bytes") from None
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise ProtocolError("the answer is not HTTP/1.x")
        status = int(code)
        if 100 <= status < 200:
            continue  # 100 Continue and other interim answers precede the real one
        headers: dict[str, str] = {}
        for line in header_lines:
            name, separator, value = line.partition(":")
            if separator:
                headers[name.strip().lower()] = value.strip()
        return Response(method, status, headers, reader)
