"""A TCP relay on loopback between the client and Pulse: the network in the middle, which
tests cut, point elsewhere (a restarted Pulse on another port), or switch off; with a TLS
context it is the TLS-terminating proxy a plant puts in front of Pulse."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field


@dataclass
class Relay:
    #: where connections are relayed to; ``None`` hangs up on every new connection
    upstream_port: int | None = None
    port: int = 0
    #: serve TLS with this context (``https://``) instead of plain TCP
    tls: ssl.SSLContext | None = None
    #: the first bytes each relayed connection sent (its request line and headers), so a
    #: test can tell which route and transport the client used
    requests: list[bytes] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def paths(self) -> list[str]:
        """The route each relayed connection asked for: its request line's path."""
        return [request.split(b" ")[1].partition(b"?")[0].decode() for request in self.requests]

    def cut(self) -> None:
        """Breaks every open connection, both ways, like a cable pulled out."""
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.upstream_port is None:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.upstream_port
            )
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        with contextlib.suppress(OSError):
            first = await reader.read(65536)
            self.requests.append(first)
            upstream_writer.write(first)
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        self._writers -= {writer, upstream_writer}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.close()
