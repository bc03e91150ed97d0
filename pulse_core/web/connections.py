"""Aborting the TCP connection of a request, for a client that stopped reading.

Hypercorn writes a response or a close frame and then waits for the socket to drain, with no
time limit: a client that never reads keeps its connection, and the kernel buffers behind it,
for as long as it likes. ASGI has no way to drop a connection, so this finds the transport
the event loop keeps for the request's socket, by the addresses the ASGI scope names, and
aborts it. Closing a socket whose send buffer is full would leave the kernel trying to
deliver it for minutes: with ``SO_LINGER`` at zero the close sends a reset and frees the
buffers at once.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Mapping

log = logging.getLogger("pulse.web")


def abort_connection(scope: Mapping[str, object]) -> bool:
    """Abort the connection ``scope`` (an ASGI scope) came on; whether it was found open."""
    client, server = scope.get("client"), scope.get("server")
    if not isinstance(client, (tuple, list)) or not isinstance(server, (tuple, list)):
        return False
    for transport in _transports():
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        if _same(peer, client) and _same(local, server):
            _reset_on_close(transport)
            transport.abort()  # also one that is closing, but waits for its buffer to drain
            return True
    return False


def _reset_on_close(transport: asyncio.Transport) -> None:
    raw = transport.get_extra_info("socket")
    if raw is not None:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _same(address: object, named: tuple[object, ...] | list[object]) -> bool:
    """An address the socket reports (IPv6 adds flow info and scope) against the scope's."""
    return isinstance(address, tuple) and list(address[:2]) == list(named[:2])


def _transports() -> list[asyncio.Transport]:
    """The socket transports of the running loop: the selector loop keeps them by file
    descriptor. Another loop (uvloop) does not; nothing is aborted there, and that is said."""
    kept = getattr(asyncio.get_running_loop(), "_transports", None)
    if kept is None:
        log.warning("cannot abort a connection on this event loop; it stays until it drains")
        return []
    return [transport for transport in list(kept.values()) if transport is not None]
