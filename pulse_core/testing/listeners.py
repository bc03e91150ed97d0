"""Real servers on loopback that tests switch on and off to make endpoints go up and down."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the kernel's choice)."""
    return _free_port(socket.SOCK_STREAM, host)


def port_below_ephemeral(host: str = "127.0.0.1") -> int:
    """A free port under the kernel's ephemeral range, for listeners that stop and start:
    a probe connecting to a stopped listener's port from that same port (the kernel's pick
    of an ephemeral source port) would connect to itself and count as an answer."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
        first_ephemeral = int(ranges.read().split()[0])
    for port in range(first_ephemeral - 1, 1024, -1):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port under {first_ephemeral} on {host}")


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port nobody is bound to right now (the kernel's choice)."""
    return _free_port(socket.SOCK_DGRAM, host)


def _free_port(kind: socket.SocketKind, host: str) -> int:
    with socket.socket(socket.AF_INET, kind) as probe_socket:
        probe_socket.bind((host, 0))
        return int(probe_socket.getsockname()[1])


@dataclass
class TcpListener:
    """A TCP server on a fixed loopback port that accepts and closes connections.

    ``stop()`` closes the listening socket, so connections are refused; ``start()`` listens on
    the same port again. ``holding = True`` keeps accepted connections open without a word, as
    a device that hangs does, so a probe of a request-and-answer protocol times out (``stop()``
    closes them). Runs on the current event loop.
    """

    host: str = "127.0.0.1"
    port: int = field(default_factory=free_tcp_port)
    holding: bool = False
    _server: asyncio.Server | None = None
    _held: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accept, self.host, self.port, reuse_address=True
            )

    async def stop(self) -> None:
        for writer in self._held:
            writer.close()
        self._held.clear()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.holding:
            self._held.append(writer)
            while await reader.read(4096):  # whatever the client sends goes unanswered
                pass
        writer.close()


class _Echo(asyncio.DatagramProtocol):
    def __init__(self, echo: UdpEcho) -> None:
        self._echo = echo
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set_result(None)

    def datagram_received(self, data: bytes, addr: tuple[str | bytes, int]) -> None:
        self._echo.received.append(data)
        if self._echo.answering:
            self._transport.sendto(data, addr)  # type: ignore[attr-defined]


@dataclass
class UdpEcho:
    """A UDP server on a fixed loopback port that sends every datagram back, for probes of
    UDP protocols (SNMP, DNS, syslog ...).

    ``answering = False`` keeps it bound but silent, as a device that drops requests (the
    probe times out); ``stop()`` unbinds the port, so the kernel answers ICMP port
    unreachable. ``received`` holds every datagram that arrived. Runs on the current loop.
    """

    host: str = "127.0.0.1"
    port: int = field(default_factory=free_udp_port)
    answering: bool = True
    received: list[bytes] = field(default_factory=list)
    _transport: asyncio.DatagramTransport | None = None
    _protocol: _Echo | None = None

    async def start(self) -> None:
        if self._transport is None:
            loop = asyncio.get_running_loop()
            self._transport, self._protocol = await loop.create_datagram_endpoint(
                lambda: _Echo(self), local_addr=(self.host, self.port)
            )

    async def stop(self) -> None:
        """Unbind the port; returns once the socket is closed, so the next datagram is
        refused rather than queued for a socket about to close."""
        if self._transport is not None and self._protocol is not None:
            self._transport.close()
            await self._protocol.closed
            self._transport = self._protocol = None
