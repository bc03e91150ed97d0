"""Status changes from Pulse's live push, over Server-Sent Events (``GET
/api/events/status``) or the WebSocket (``/api/ws/status``): the same JSON messages.

A stream opens with a ``snapshot`` of every endpoint, then sends a ``status_update`` per
damped status change; on the SSE stream each event has an ``id``. :class:`StatusFeed` turns
those messages into :class:`StatusChange` values and remembers the last id and every
endpoint's status, so a reconnection loses nothing it could know of: Pulse replays the SSE
events after ``Last-Event-ID`` while it still keeps them, and otherwise (a WebSocket, which
has no ids; a restarted Pulse; too much happened) sends a fresh snapshot, which the feed
compares with what it knew to report the changes made while it was away.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One endpoint's status changed. Statuses are the push stream's words: ``online``,
    ``offline``, or ``unknown`` (no state reached yet)."""

    endpoint_id: str
    status: str
    previous_status: str
    #: the check's round-trip time; ``None`` when it failed
    response_time_ms: float | None
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class PushMessage:
    """One message of the push stream: an SSE event, with its ``id``, or a WebSocket text
    frame, which has none."""

    id: str | None
    data: str


class EventParser:
    """Reads an SSE stream line by line (the WHATWG rules Pulse's stream uses: ``id`` and
    ``data`` fields, comments, a blank line ending each event); one parser serves the
    blocking and the asyncio reader alike."""

    def __init__(self) -> None:
        self._id: str | None = None
        self._data: list[str] = []

    def line(self, line: str) -> PushMessage | None:
        """The event this line ends, if it ends one."""
        if not line:
            event = PushMessage(self._id, "\n".join(self._data)) if self._data else None
            self._id, self._data = None, []
            return event
        if line.startswith(":"):
            return None  # a comment: heartbeats keep proxies from closing a quiet stream
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "id":
            self._id = value
        return None


def parse_events(lines: Iterable[str]) -> Iterator[PushMessage]:
    """The events of an SSE stream's lines."""
    parser = EventParser()
    for line in lines:
        if (event := parser.line(line)) is not None:
            yield event


class StatusFeed:
    """Reads one or several successive connections of the stream as one sequence of changes."""

    def __init__(self) -> None:
        self.last_event_id: str | None = None
        #: endpoint id -> its latest status (``online``, ``offline``, ``unknown``)
        self.statuses: dict[str, str] = {}
        self._had_snapshot = False

    def read(self, messages: Iterable[PushMessage]) -> Iterator[StatusChange]:
        for message in messages:
            yield from self.take(message)

    def take(self, message: PushMessage) -> list[StatusChange]:
        """The changes one message carries: none, one, or several for a later snapshot."""
        content = json.loads(message.data)
        changes: list[StatusChange] = []
        if content["type"] == "snapshot":
            changes = list(self._compare(content))
        elif content["type"] == "status_update":
            change = _change(content)
            self.statuses[change.endpoint_id] = change.status
            changes = [change]
        if message.id is not None:
            self.last_event_id = message.id
        return changes

    def _compare(self, snapshot: dict[str, Any]) -> Iterator[StatusChange]:
        """The first snapshot is the starting point; a later one (after a reconnection the
        server could not replay, or any WebSocket reconnection) tells which statuses changed
        in between: each endpoint's latest one, not every step it took."""
        taken = datetime.fromisoformat(snapshot["timestamp"])
        for item in snapshot["data"]["items"]:
            endpoint_id, status = item["endpointId"], item["status"]
            before = self.statuses.get(endpoint_id)
            self.statuses[endpoint_id] = status
            if self._had_snapshot and before != status:
                changed = item["lastChangeTs"]
                yield StatusChange(
                    endpoint_id=endpoint_id,
                    status=status,
                    previous_status=before or "unknown",
                    response_time_ms=item["responseTime"],
                    timestamp=datetime.fromisoformat(changed) if changed else taken,
                )
        self._had_snapshot = True


def _change(message: dict[str, Any]) -> StatusChange:
    data = message["data"]
    return StatusChange(
        endpoint_id=data["endpointId"],
        status=data["status"],
        previous_status=data["previousStatus"],
        response_time_ms=data["responseTime"],
        timestamp=datetime.fromisoformat(message["timestamp"]),
    )
