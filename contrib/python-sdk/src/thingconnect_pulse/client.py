"""``PulseClient``: Pulse's REST API and live push from Python::

    client = PulseClient("http://localhost:8080", username="admin", password="password")
    status = client.get_live_status()
    history = client.get_endpoint_history("c8a48605b98ed819", start_time="2024-01-15T00:00:00Z")
    endpoint = client.create_endpoint(
        {"name": "New Server", "address": "192.168.1.100", "type": "tcp", "port": 80}
    )

Answers are the API's JSON as dictionaries, with its camelCase keys, exactly as docs/api.md
describes them, so the documentation of each route is the documentation of its method; their
shapes are named in :mod:`thingconnect_pulse.results`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, Self, cast

import httpx

from thingconnect_pulse import calls, websocket
from thingconnect_pulse.calls import Call, Instant
from thingconnect_pulse.connection import Connection
from thingconnect_pulse.errors import api_error, unreachable
from thingconnect_pulse.events import StatusChange, StatusFeed, parse_events
from thingconnect_pulse.results import (
    ApplyResult,
    EndpointDetail,
    History,
    LiveStatusItem,
    WrittenEndpoint,
)
from thingconnect_pulse.subscription import (
    Stream,
    StreamOpener,
    Subscription,
    Transport,
    checked_transport,
    shut_down,
)

#: the longest quiet spell on the push stream before it counts as dead: Pulse sends a
#: heartbeat every 15 s by default (``push.heartbeat_seconds``)
STREAM_IDLE_TIMEOUT_S = 60.0


class PulseClient(Connection[httpx.Client]):
    """A connection to one Pulse server; safe to share between threads. Its arguments are
    :class:`~thingconnect_pulse.connection.Connection`'s: the URL, then ``username`` and
    ``password`` or ``api_key``, ``timeout_s`` and ``verify``."""

    http_class = httpx.Client

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- reading -------------------------------------------------------------------------

    def get_live_status(
        self, group: str | None = None, search: str | None = None
    ) -> list[LiveStatusItem]:
        """Every endpoint's live status (``GET /api/status/live``), ``status`` being ``up``,
        ``down`` or ``flapping``. ``group`` includes child groups; ``search`` matches part of
        a name, host or address."""
        return cast(list[LiveStatusItem], self._json(calls.live_status(group, search))["items"])

    def get_endpoint(self, endpoint_id: str, window_minutes: int = 60) -> EndpointDetail:
        """One endpoint with its recent checks and outages (``GET /api/endpoints/{id}``)."""
        return cast(EndpointDetail, self._json(calls.endpoint(endpoint_id, window_minutes)))

    def get_endpoint_history(
        self,
        endpoint_id: str,
        start_time: Instant | None = None,
        end_time: Instant | None = None,
        bucket: str | None = None,
    ) -> History:
        """An endpoint's history (``GET /api/history/endpoint/{id}``) for ``bucket`` ``raw``,
        ``15m`` or ``daily``, with that bucket's list filled. ``start_time`` defaults to 1, 7
        or 90 days before ``end_time`` (default: now). Without ``bucket``, the finest one
        Pulse serves for the range: raw checks up to 2 days, 15-minute buckets up to 93,
        else daily."""
        call = calls.endpoint_history(endpoint_id, start_time, end_time, bucket)
        return cast(History, self._json(call))

    def export_history(
        self,
        destination: str | os.PathLike[str] | IO[bytes],
        start_time: Instant,
        end_time: Instant,
        *,
        format: str = "csv",
        bucket: str = "daily",
        endpoint_id: str | None = None,
        group: str | None = None,
    ) -> int:
        """Streams ``GET /api/export/history`` into ``destination`` (a path or a binary file)
        and answers the number of bytes written. Memory stays flat for any range. The file is
        created only once Pulse has accepted the request, so a refused export leaves none."""
        call = calls.export_history(start_time, end_time, format, bucket, endpoint_id, group)
        with self._stream(call) as response:
            if isinstance(destination, str | os.PathLike):
                with open(destination, "wb") as file:
                    return _copy(response.iter_bytes(), file)
            return _copy(response.iter_bytes(), destination)

    # --- writing (editor role) -----------------------------------------------------------

    def create_endpoint(self, endpoint: Mapping[str, Any]) -> WrittenEndpoint:
        """Adds an endpoint (``POST /api/endpoints``): ``{"name", "address", "type", "port"}``
        plus any target key (``group``, ``intervalSeconds``, ``httpPath``, ``enabled``...).
        Answers the endpoint as the API shows it, with its ``id`` and the new
        ``configVersionId``."""
        return cast(WrittenEndpoint, self._json(calls.create_endpoint(endpoint)))

    def update_endpoint(self, endpoint_id: str, changes: Mapping[str, Any]) -> WrittenEndpoint:
        """Changes the given keys of an endpoint (``PUT /api/endpoints/{id}``); a key set to
        ``None`` is removed. A new address, port or type makes a new id (in the answer)."""
        return cast(WrittenEndpoint, self._json(calls.update_endpoint(endpoint_id, changes)))

    def delete_endpoint(self, endpoint_id: str) -> ApplyResult:
        """Stops checking an endpoint (``DELETE /api/endpoints/{id}``); its history is kept."""
        return cast(ApplyResult, self._json(calls.delete_endpoint(endpoint_id)))

    def apply_configuration(
        self, yaml_text: str, dry_run: bool = False, note: str | None = None
    ) -> ApplyResult:
        """Applies a whole YAML configuration (``POST /api/configuration/apply``). With
        ``dry_run`` nothing changes; ``note`` is kept with the new version."""
        call = calls.apply_configuration(yaml_text, dry_run, note)
        return cast(ApplyResult, self._json(call))

    # --- live push -----------------------------------------------------------------------

    def iter_status_changes(
        self,
        group: str | None = None,
        endpoint_id: str | None = None,
        *,
        transport: Transport = "sse",
    ) -> Iterator[StatusChange]:
        """Status changes as they happen, from one connection to the push stream, until the
        server ends it (``close()`` the iterator to stop early). For a subscription that
        outlives restarts and network blips, use :meth:`on_status_change`."""
        feed = StatusFeed()
        with self._opener(transport)(group, endpoint_id, None) as (messages, _):
            yield from feed.read(messages)

    def on_status_change(
        self,
        callback: Callable[[StatusChange], object],
        *,
        group: str | None = None,
        endpoint_id: str | None = None,
        on_error: Callable[[Exception], object] | None = None,
        transport: Transport = "sse",
    ) -> Subscription:
        """Calls ``callback`` from a background thread for every status change until the
        returned subscription is closed, reconnecting as needed and catching up on what was
        missed. ``on_error`` hears of connection problems and of exceptions ``callback``
        raised (default: a warning in the ``thingconnect_pulse`` log). ``transport``:
        ``"sse"`` (Server-Sent Events, which replay every change missed) or
        ``"websocket"`` (which catches up on each endpoint's latest status)."""
        opener = self._opener(transport)
        return Subscription(opener, callback, group, endpoint_id, on_error)

    def _opener(self, transport: str) -> StreamOpener:
        if checked_transport(transport) == "websocket":
            return self._socket_stream
        return self._event_stream

    @contextlib.contextmanager
    def _event_stream(
        self, group: str | None, endpoint_id: str | None, last_event_id: str | None
    ) -> Iterator[Stream]:
        timeout = httpx.Timeout(self._http.timeout.connect, read=STREAM_IDLE_TIMEOUT_S)
        call = calls.status_events(group, endpoint_id, last_event_id)
        with self._stream(call, timeout=timeout) as response:
            network = response.extensions.get("network_stream")
            sock = network.get_extra_info("socket") if network is not None else None
            yield Stream(parse_events(response.iter_lines()), lambda: shut_down(sock))

    @contextlib.contextmanager
    def _socket_stream(
        self, group: str | None, endpoint_id: str | None, _last_event_id: str | None
    ) -> Iterator[Stream]:
        """The WebSocket has no event ids: each connection starts with a snapshot."""
        with websocket.opened(self._socket, group, endpoint_id) as socket:
            messages = websocket.messages(socket, self.base_url)
            yield Stream(messages, lambda: shut_down(socket.socket))

    # --- plumbing ------------------------------------------------------------------------

    def _json(self, call: Call) -> Any:
        with self._stream(call) as response:
            response.read()
        return response.json()

    @contextlib.contextmanager
    def _stream(self, call: Call, **extra: Any) -> Iterator[httpx.Response]:
        """A response whose status is a success, its body not yet read; an error status
        raises the API's error with its message, a network failure PulseConnectionError."""
        try:
            with self._http.stream(call.method, call.path, **call.options(), **extra) as response:
                if response.is_error:
                    response.read()
                    raise api_error(response)
                yield response
        except httpx.TransportError as error:
            raise unreachable(self.base_url, error) from error


def _copy(chunks: Iterator[bytes], file: IO[bytes]) -> int:
    written = 0
    for chunk in chunks:
        file.write(chunk)
        written += len(chunk)
    return written
