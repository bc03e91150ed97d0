"""Pulse's live push over its WebSocket (``ws://HOST/api/ws/status``, ``wss://`` behind TLS),
for the blocking and the asyncio client alike.

The socket is opened with the client's own credentials and TLS settings: the guard in front
of ``/api/ws/status`` reads the ``Authorization`` header of the handshake as it does on every
route (an API key as ``Bearer``, or HTTP Basic), so a key never has to travel in the URL
(``?token=``), where proxies log it. A refused handshake is the API's error, as for any
request. How the socket ends decides what a subscription does next: Pulse closes it with
1008 when the credentials it was opened with stop holding, which reconnecting cannot cure
(:class:`~thingconnect_pulse.errors.CredentialsRevokedError`); every other end (1001 when
Pulse stops, 1013 for a client that fell behind, a cut network) is worth reconnecting after.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from websockets.asyncio.client import ClientConnection as AsyncSocket
from websockets.asyncio.client import connect as connect_async
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.sync.client import ClientConnection as Socket
from websockets.sync.client import connect

from thingconnect_pulse.errors import (
    CredentialsRevokedError,
    PulseConnectionError,
    PulseError,
    refusal,
    unreachable,
)
from thingconnect_pulse.events import PushMessage

PATH = "/api/ws/status"
#: the close code Pulse ends a socket with when its credentials stop holding
CLOSE_CREDENTIALS_ENDED = 1008
#: the normal close, which this side sends when the caller stops
CLOSE_NORMAL = 1000
#: what opening a socket raises when it gets no usable answer
OPENING_ERRORS = (WebSocketException, OSError, TimeoutError)


@dataclass(frozen=True)
class SocketSettings:
    """How a client opens the WebSocket, from the settings it was made with."""

    base_url: str
    #: the handshake's extra headers: the client's ``Authorization``
    headers: Mapping[str, str]
    #: the TLS check of a ``wss://`` socket, the same as the client's HTTPS requests
    tls: ssl.SSLContext
    open_timeout_s: float

    def url(self, group: str | None, endpoint_id: str | None) -> str:
        """``ws://`` or ``wss://`` and the path of Pulse's base URL (it may sit under a
        reverse proxy's prefix), then the route and its filters."""
        scheme, _, rest = self.base_url.partition("://")
        query = urlencode(
            {key: value for key, value in (("group", group), ("endpointId", endpoint_id))
             if value is not None}
        )
        socket_scheme = "wss" if scheme == "https" else "ws"
        return f"{socket_scheme}://{rest}{PATH}" + (f"?{query}" if query else "")

    def options(self) -> dict[str, Any]:
        """The keyword arguments of ``websockets``' ``connect``, blocking or asyncio. Its
        own pings (every 20 s, answered within 20) find a dead connection, as the read
        timeout does on the SSE stream."""
        options: dict[str, Any] = {
            "additional_headers": dict(self.headers),
            "open_timeout": self.open_timeout_s,
            # the snapshot lists every endpoint, so its size grows with the configuration;
            # the SSE stream has no limit either
            "max_size": None,
        }
        if self.base_url.startswith("https://"):
            options["ssl"] = self.tls
        return options


def socket_settings(
    base_url: str, headers: Mapping[str, str], verify: bool | ssl.SSLContext, timeout_s: float
) -> SocketSettings:
    """``verify`` as the client's HTTPS requests check it (``tls_verification``'s answer),
    made into the context a ``wss://`` socket needs."""
    tls = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
    return SocketSettings(base_url, headers, tls, timeout_s)


@contextlib.contextmanager
def opened(settings: SocketSettings, group: str | None, endpoint_id: str | None) -> Iterator[Socket]:
    """A blocking socket to ``/api/ws/status``, closed on leaving."""
    try:
        socket = connect(settings.url(group, endpoint_id), **settings.options())
    except OPENING_ERRORS as error:
        raise _not_opened(settings.base_url, error) from error
    with socket:
        yield socket


@contextlib.asynccontextmanager
async def opened_async(
    settings: SocketSettings, group: str | None, endpoint_id: str | None
) -> AsyncIterator[AsyncSocket]:
    """As :func:`opened`, for asyncio."""
    try:
        socket = await connect_async(settings.url(group, endpoint_id), **settings.options())
    except OPENING_ERRORS as error:
        raise _not_opened(settings.base_url, error) from error
    async with socket:
        yield socket


def messages(socket: Socket, base_url: str) -> Iterator[PushMessage]:
    """The socket's messages until it closes; an end worth telling raises (see :func:`ended`)."""
    while True:
        try:
            text = socket.recv()
        except ConnectionClosed as closed:
            _raise_unless_normal(closed, base_url)
            return
        yield PushMessage(None, str(text))


async def messages_async(socket: AsyncSocket, base_url: str) -> AsyncIterator[PushMessage]:
    """As :func:`messages`, for asyncio."""
    while True:
        try:
            text = await socket.recv()
        except ConnectionClosed as closed:
            _raise_unless_normal(closed, base_url)
            return
        yield PushMessage(None, str(text))


def ended(closed: ConnectionClosed, base_url: str) -> PulseError | None:
    """Why the socket closed, as the error a subscription acts on; ``None`` for a normal
    close (this side stopping, or Pulse finishing the stream on purpose)."""
    received = closed.rcvd
    if received is None:
        if closed.sent is not None and closed.sent.code == CLOSE_NORMAL:
            return None
        return PulseConnectionError(
            f"the WebSocket to Pulse at {base_url} broke ({closed}); reconnecting"
        )
    said = f"{received.code}" + (f" {received.reason}" if received.reason else "")
    if received.code == CLOSE_CREDENTIALS_ENDED:
        return CredentialsRevokedError(
            f"Pulse at {base_url} ended the status stream (WebSocket close {said}): give the "
            "client credentials that hold (a new API key, or the new password) and subscribe "
            "again"
        )
    if received.code == CLOSE_NORMAL:
        return None
    return PulseConnectionError(f"Pulse at {base_url} closed the WebSocket ({said})")


def _raise_unless_normal(closed: ConnectionClosed, base_url: str) -> None:
    error = ended(closed, base_url)
    if error is not None:
        raise error from closed


def _not_opened(base_url: str, error: Exception) -> PulseError:
    """A refused handshake is the API's refusal (401, 403, 400 for an unknown group...);
    anything else means Pulse could not be reached."""
    if isinstance(error, InvalidStatus):
        response = error.response
        return refusal(
            response.status_code, bytes(response.body or b""), response.headers.get("Retry-After")
        )
    return unreachable(base_url, error)
