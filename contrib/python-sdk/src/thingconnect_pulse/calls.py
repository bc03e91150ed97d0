"""Every API operation the clients make, as a plain description of its HTTP request.

``PulseClient`` and ``AsyncPulseClient`` differ only in how they send a request, so each
operation's route, parameters and body are written once, here, and both clients send the
same :class:`Call`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

#: an ISO-8601 text (``2024-01-15T00:00:00Z``) or a datetime (naive means UTC)
Instant = str | datetime

#: the longest range, in days, Pulse serves per bucket (``GET /api/history/endpoint/{id}``)
BUCKET_LIMIT_DAYS = (("raw", 2.0), ("15m", 93.0))


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    #: query parameters; those set to ``None`` are left out
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def options(self) -> dict[str, Any]:
        """The keyword arguments of httpx's ``request``/``stream`` for this call."""
        options: dict[str, Any] = {
            "params": {key: value for key, value in self.params.items() if value is not None},
            "headers": dict(self.headers),
        }
        if self.json is not None:
            options["json"] = self.json
        if self.content is not None:
            options["content"] = self.content
        return options


def live_status(group: str | None, search: str | None) -> Call:
    return Call("GET", "/api/status/live", {"group": group, "search": search})


def endpoint(endpoint_id: str, window_minutes: int) -> Call:
    return Call("GET", _endpoint_path(endpoint_id), {"windowMinutes": window_minutes})


def endpoint_history(
    endpoint_id: str, start_time: Instant | None, end_time: Instant | None, bucket: str | None
) -> Call:
    chosen = bucket or finest_bucket(start_time, end_time)
    params = {"from": instant(start_time), "to": instant(end_time), "bucket": chosen}
    return Call("GET", f"/api/history/endpoint/{_segment(endpoint_id)}", params)


def export_history(
    start_time: Instant,
    end_time: Instant,
    format: str,
    bucket: str,
    endpoint_id: str | None,
    group: str | None,
) -> Call:
    params = {
        "format": format,
        "bucket": bucket,
        "startTime": instant(start_time),
        "endTime": instant(end_time),
        "endpointId": endpoint_id,
        "group": group,
    }
    return Call("GET", "/api/export/history", params)


def create_endpoint(fields: Mapping[str, Any]) -> Call:
    return Call("POST", "/api/endpoints", json=dict(fields))


def update_endpoint(endpoint_id: str, changes: Mapping[str, Any]) -> Call:
    return Call("PUT", _endpoint_path(endpoint_id), json=dict(changes))


def delete_endpoint(endpoint_id: str) -> Call:
    return Call("DELETE", _endpoint_path(endpoint_id))


def apply_configuration(yaml_text: str, dry_run: bool, note: str | None) -> Call:
    headers = {"Content-Type": "text/yaml; charset=utf-8"}
    if note is not None:
        headers["X-Note"] = note
    return Call(
        "POST",
        "/api/configuration/apply",
        {"dryRun": "true" if dry_run else None},
        content=yaml_text.encode("utf-8"),
        headers=headers,
    )


def status_events(group: str | None, endpoint_id: str | None, last_event_id: str | None) -> Call:
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    return Call("GET", "/api/events/status", {"group": group, "endpointId": endpoint_id},
                headers=headers)


def finest_bucket(start_time: Instant | None, end_time: Instant | None) -> str:
    """The finest bucket Pulse serves for the range, so a call without ``bucket`` (as in
    ``get_endpoint_history(id, start_time="2024-01-15T00:00:00Z")``) is never refused for a
    range too long for raw checks."""
    if start_time is None:
        return "raw"
    start, end = _moment(start_time), _moment(end_time or datetime.now(UTC))
    span_days = (end - start).total_seconds() / 86400
    return next((name for name, days in BUCKET_LIMIT_DAYS if span_days <= days), "daily")


def instant(value: Instant | None) -> str | None:
    if not isinstance(value, datetime):
        return value
    return _moment(value).astimezone(UTC).isoformat().replace("+00:00", "Z")


def _moment(value: Instant) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _endpoint_path(endpoint_id: str) -> str:
    return f"/api/endpoints/{_segment(endpoint_id)}"


def _segment(value: str) -> str:
    """An id as one path segment, whatever characters it holds."""
    return quote(value, safe="")
