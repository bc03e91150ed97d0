"""Real servers on loopback that tests switch on and off to make endpoints go up and down."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe_socket:
        probe_socket.bind((host, 0))
        return int(probe_socket.getsockname()[1])


@dataclass
class TcpListener:
    """A TCP server on a fixed loopback port that accepts and closes connections.

    ``stop()`` closes the listening socket, so connections are refused; ``start()`` listens on
    the same port again. Runs on the current event loop.
    """

    host: str = "127.0.0.1"
    port: int = field(default_factory=free_tcp_port)
    _server: asyncio.Server | None = None

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accept, self.host, self.port, reuse_address=True
            )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @staticmethod
    async def _accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()
