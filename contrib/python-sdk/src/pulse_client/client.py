"""``PulseClient``: Pulse's REST API and live push from Python, the way the seed's SDK reads::

    client = PulseClient("http://localhost:8080", username="admin", password="password")
    status = client.get_live_status()
    history = client.get_endpoint_history("c8a48605b98ed819", start_time="2024-01-15T00:00:00Z")
    endpoint = client.create_endpoint(
        {"name": "New Server", "address": "192.168.1.100", "type": "tcp", "port": 80}
    )

Answers are the API's JSON as dictionaries, with its camelCase keys, exactly as docs/api.md
describes them, so the documentation of each route is the documentation of its method.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import IO, Any, Self
from urllib.parse import quote

import httpx

from pulse_client.errors import PulseConnectionError, api_error
from pulse_client.events import ServerSentEvent, StatusChange, StatusFeed, parse_events
from pulse_client.subscription import Subscription

JSON = dict[str, Any]
#: an ISO-8601 text (``2024-01-15T00:00:00Z``) or a datetime (naive means UTC)
Instant = str | datetime

#: the longest quiet spell on the push stream before it counts as dead: Pulse sends a
#: heartbeat every 15 s by default (``push.heartbeat_seconds``)
STREAM_IDLE_TIMEOUT_S = 60.0


class PulseClient:
    """A connection to one Pulse server; safe to share between threads.

    Sign in with a user's ``username`` and ``password`` (HTTP Basic) or with an ``api_key``
    (``Authorization: Bearer``), or neither for the routes open to anyone. ``verify`` is
    passed to httpx: ``False``, or the path of the CA bundle of a plant's own certificates.
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        verify: bool | str = True,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        if api_key is not None and username is not None:
            raise ValueError("give either username and password or api_key, not both")
        auth = httpx.BasicAuth(username, password) if username and password is not None else None
        headers = {"Authorization": f"Bearer {api_key}"} if api_key is not None else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, auth=auth, headers=headers, timeout=timeout_s, verify=verify
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- reading -------------------------------------------------------------------------

    def get_live_status(self, group: str | None = None, search: str | None = None) -> list[JSON]:
        """Every endpoint's live status (``GET /api/status/live``): a list of
        ``{endpoint, status, rttMs, lastChangeTs, sparkline}``, ``status`` being ``up``,
        ``down`` or ``flapping``. ``group`` includes child groups; ``search`` matches part of
        a name, host or address."""
        body = self._json("GET", "/api/status/live", params={"group": group, "search": search})
        items: list[JSON] = body["items"]
        return items

    def get_endpoint(self, endpoint_id: str, window_minutes: int = 60) -> JSON:
        """One endpoint with its recent checks and outages (``GET /api/endpoints/{id}``):
        ``{endpoint, recent, outages}``."""
        return self._json(
            "GET",
            f"/api/endpoints/{_segment(endpoint_id)}",
            params={"windowMinutes": window_minutes},
        )

    def get_endpoint_history(
        self,
        endpoint_id: str,
        start_time: Instant | None = None,
        end_time: Instant | None = None,
        bucket: str | None = None,
    ) -> JSON:
        """An endpoint's history (``GET /api/history/endpoint/{id}``) for ``bucket`` ``raw``,
        ``15m`` or ``daily``: ``{endpoint, raw, rollup15m, rollupDaily, outages}`` with the
        bucket's list filled. ``start_time`` defaults to 1, 7 or 90 days before ``end_time``
        (default: now). Without ``bucket``, the finest one Pulse serves for the range: raw
        checks up to 2 days, 15-minute buckets up to 93, else daily — so the seed's
        ``get_endpoint_history("ep-123", start_time="2024-01-15T00:00:00Z")`` works as written."""
        chosen = bucket or _finest_bucket(start_time, end_time)
        params = {"from": _instant(start_time), "to": _instant(end_time), "bucket": chosen}
        return self._json("GET", f"/api/history/endpoint/{_segment(endpoint_id)}", params=params)

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
        params = {
            "format": format,
            "bucket": bucket,
            "startTime": _instant(start_time),
            "endTime": _instant(end_time),
            "endpointId": endpoint_id,
            "group": group,
        }
        with self._stream("GET", "/api/export/history", params=params) as response:
            if isinstance(destination, str | os.PathLike):
                with open(destination, "wb") as file:
                    return _copy(response, file)
            return _copy(response, destination)

    # --- writing (editor role) -----------------------------------------------------------

    def create_endpoint(self, endpoint: Mapping[str, Any]) -> JSON:
        """Adds an endpoint (``POST /api/endpoints``): ``{"name", "address", "type", "port"}``
        plus any target key (``group``, ``intervalSeconds``, ``httpPath``...). Answers the
        endpoint as the API shows it, with its ``id`` and the new ``configVersionId``."""
        return self._json("POST", "/api/endpoints", json=dict(endpoint))

    def update_endpoint(self, endpoint_id: str, changes: Mapping[str, Any]) -> JSON:
        """Changes the given keys of an endpoint (``PUT /api/endpoints/{id}``); a key set to
        ``None`` is removed. A new address, port or type makes a new id (in the answer)."""
        return self._json("PUT", f"/api/endpoints/{_segment(endpoint_id)}", json=dict(changes))

    def delete_endpoint(self, endpoint_id: str) -> JSON:
        """Stops checking an endpoint (``DELETE /api/endpoints/{id}``); its history is kept."""
        return self._json("DELETE", f"/api/endpoints/{_segment(endpoint_id)}")

    def apply_configuration(
        self, yaml_text: str, dry_run: bool = False, note: str | None = None
    ) -> JSON:
        """Applies a whole YAML configuration (``POST /api/configuration/apply``):
        ``{configVersionId, changed, dryRun, added, updated, removed, warnings}``. With
        ``dry_run`` nothing changes; ``note`` is kept with the new version."""
        headers = {"Content-Type": "text/yaml; charset=utf-8"}
        if note is not None:
            headers["X-Note"] = note
        return self._json(
            "POST",
            "/api/configuration/apply",
            params={"dryRun": "true" if dry_run else None},
            content=yaml_text.encode("utf-8"),
            headers=headers,
        )

    # --- live push -----------------------------------------------------------------------

    def iter_status_changes(
        self, group: str | None = None, endpoint_id: str | None = None
    ) -> Iterator[StatusChange]:
        """Status changes as they happen, from one connection to the push stream, until the
        server ends it (``close()`` the iterator to stop early). For a subscription that
        outlives restarts and network blips, use :meth:`on_status_change`."""
        feed = StatusFeed()
        with self._status_stream(group, endpoint_id, None) as (_, events):
            yield from feed.read(events)

    def on_status_change(
        self,
        callback: Callable[[StatusChange], object],
        *,
        group: str | None = None,
        endpoint_id: str | None = None,
        on_error: Callable[[Exception], object] | None = None,
    ) -> Subscription:
        """Calls ``callback`` from a background thread for every status change until the
        returned subscription is closed, reconnecting as needed without losing changes.
        ``on_error`` hears of connection problems and of exceptions ``callback`` raised
        (default: a warning in the ``pulse_client`` log)."""
        return Subscription(self._status_stream, callback, group, endpoint_id, on_error)

    @contextlib.contextmanager
    def _status_stream(
        self, group: str | None, endpoint_id: str | None, last_event_id: str | None
    ) -> Iterator[tuple[httpx.Response, Iterator[ServerSentEvent]]]:
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        timeout = httpx.Timeout(self._http.timeout.connect, read=STREAM_IDLE_TIMEOUT_S)
        params = {"group": group, "endpointId": endpoint_id}
        with self._stream(
            "GET", "/api/events/status", params=params, headers=headers, timeout=timeout
        ) as response:
            yield response, parse_events(response.iter_lines())

    # --- plumbing ------------------------------------------------------------------------

    def _json(self, method: str, path: str, **options: Any) -> JSON:
        with self._stream(method, path, **options) as response:
            response.read()
        body: JSON = response.json()
        return body

    @contextlib.contextmanager
    def _stream(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, **options: Any
    ) -> Iterator[httpx.Response]:
        """A response whose status is a success, its body not yet read; an error status
        raises the API's error with its message, a network failure PulseConnectionError."""
        present = {key: value for key, value in (params or {}).items() if value is not None}
        try:
            with self._http.stream(method, path, params=present, **options) as response:
                if response.is_error:
                    response.read()
                    raise api_error(response)
                yield response
        except httpx.TransportError as error:
            raise PulseConnectionError(
                f"cannot reach Pulse at {self.base_url}: {error or type(error).__name__}"
            ) from error


def _copy(response: httpx.Response, file: IO[bytes]) -> int:
    written = 0
    for chunk in response.iter_bytes():
        file.write(chunk)
        written += len(chunk)
    return written


#: the longest range, in days, Pulse serves per bucket (``GET /api/history/endpoint/{id}``)
BUCKET_LIMIT_DAYS = (("raw", 2.0), ("15m", 93.0))


def _finest_bucket(start_time: Instant | None, end_time: Instant | None) -> str:
    if start_time is None:
        return "raw"
    start, end = _moment(start_time), _moment(end_time or datetime.now(UTC))
    span_days = (end - start).total_seconds() / 86400
    return next((name for name, days in BUCKET_LIMIT_DAYS if span_days <= days), "daily")


def _moment(value: Instant) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _instant(value: Instant | None) -> str | None:
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _segment(value: str) -> str:
    """An id as one path segment, whatever characters it holds."""
    return quote(value, safe="")
