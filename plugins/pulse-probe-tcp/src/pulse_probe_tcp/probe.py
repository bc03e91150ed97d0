"""The ``tcp`` probe: an endpoint is up when its port completes a TCP handshake."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import time

from pulse_core.contract import (
    Endpoint,
    Probe,
    ProbeResult,
    describe_connect_error,
    describe_lookup_error,
    literal_family,
)

SocketAddress = tuple[str, int] | tuple[str, int, int, int]


class TcpProbe(Probe):
    """Opens a connection, measures the handshake, closes it at once.

    Nothing is sent: a PLC or an HMI with a handful of connection slots sees a connection
    that is gone before it could matter. Host names are resolved at every check, so a device
    that moves to a new address is followed; the round-trip time covers the handshake only,
    not the name lookup.
    """

    type_name = "tcp"
    port_required = True

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        if endpoint.port is None:
            return ProbeResult.failure("no port configured")
        try:
            async with asyncio.timeout(endpoint.timeout_ms / 1000):
                return await _connect(endpoint.host, endpoint.port)
        except TimeoutError:
            return ProbeResult.failure(f"timeout after {endpoint.timeout_ms} ms")


async def _connect(host: str, port: int) -> ProbeResult:
    """Tries each address of ``host`` in turn; the first handshake that completes wins."""
    try:
        addresses = await _resolve(host, port)
    except socket.gaierror as error:
        return ProbeResult.failure(describe_lookup_error(error, host))
    except UnicodeError:  # the IDNA codec rejects the name before any lookup
        return ProbeResult.failure(f"invalid host name: {host}")
    errors: list[OSError] = []
    for family, address in addresses:
        try:
            rtt_ms = await _timed_handshake(family, address)
        except OSError as error:
            errors.append(error)
        else:
            return ProbeResult.success(rtt_ms, address=address[0])
    return ProbeResult.failure(describe_connect_error(errors[-1]))


async def _resolve(host: str, port: int) -> list[tuple[socket.AddressFamily, SocketAddress]]:
    """IP literals skip the resolver: ``getaddrinfo`` runs in a small thread pool, where a
    slow name server would otherwise delay checks that need no name at all."""
    family = literal_family(host)
    if family is None:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return [(family, address) for family, _, _, _, address in found]
    return [(family, (host, port))]


async def _timed_handshake(family: socket.AddressFamily, address: SocketAddress) -> float:
    """Milliseconds from SYN to established; the socket is closed on every way out.

    Not ``loop.sock_connect``: it resolves the (already numeric) address again and wraps the
    wait in callbacks of its own, a fifth of the Python work of a check. Here the socket's
    writability ends the wait, and ``SO_ERROR`` tells how the handshake went."""
    loop = asyncio.get_running_loop()
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        started = time.perf_counter()
        error = sock.connect_ex(address)
        if error == errno.EINPROGRESS:
            await _writable(loop, sock)
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise OSError(error, os.strerror(error))
        return round((time.perf_counter() - started) * 1000, 3)


async def _writable(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    ready: asyncio.Future[None] = loop.create_future()
    fd = sock.fileno()
    loop.add_writer(fd, _settle, ready)
    try:
        await ready
    finally:
        loop.remove_writer(fd)


def _settle(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)
