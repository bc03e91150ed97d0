"""Live status from the monitor's in-memory states, encoded fast enough for 10,000 endpoints.

Between two requests most endpoints have not been checked again, so each endpoint's encoded
item is kept and reused while its latest check and last change are the same and its status
cannot have moved on: live status changes with time alone only when the latest check turns
stale or the oldest flip leaves the flapping window, so an item records until when it holds.
Its sparkline is kept as encoded points (inside the encoded item: each point has the same
length, so keeping the latest 20 is a slice), and only checks newer than the last encoded
one are added. A request then costs a few comparisons per endpoint.

The answer is sent as it is cut, in chunks of about ``CHUNK_BYTES`` with its length known in
advance: joining 10,000 items into one body and handing that to the server costs several
copies of megabytes each (the join, the transport's buffer, its slices), where chunks of a
few hundred kilobytes are copied once, within the processor's caches, and reach the client
while the next is cut.

A sparkline holds the latest ``SPARKLINE_POINTS`` (20) checks with times to the second:
the points are most of the answer's size.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import AsyncIterator, ClassVar

from quart import current_app

from pulse_core.engine.state import (
    FLAP_WINDOW_S,
    RECENT_CHECKS,
    STALE_AFTER_INTERVALS,
    EndpointState,
)
from pulse_core.engine.state_table import StateTable
from pulse_core.models import LiveStatus
from pulse_core.web.api.catalog import Catalog, CatalogEntry
from pulse_core.web.serialize import iso

#: every check the state keeps (20): the dashboard draws 20 bars
SPARKLINE_POINTS = RECENT_CHECKS
CHUNK_BYTES = 256 * 1024

_EXTENSION_KEY = "pulse.live_board"
_ITEM_HEAD = '{"endpoint":%s,"status":"%s","rttMs":%s,"lastChangeTs":%s,"sparkline":['
_ITEM_TAIL = b"]}"
_OPEN, _SEPARATOR, _CLOSE = b'{"items":[', b",", b"]}"


def status_of(state: EndpointState | None, now: float) -> LiveStatus:
    """An endpoint the monitor does not know (yet) has no recent check: it is down."""
    return LiveStatus.DOWN if state is None else state.live_status(now)


def _status_holds_until(state: EndpointState, now: float) -> float:
    """Until when ``state.live_status(now)`` can only change through a new check: the latest
    check turning stale, or the oldest flip leaving the flapping window."""
    moments = [state.flips[0] + FLAP_WINDOW_S] if state.flips else []
    last_ts = state.last_ts
    if last_ts is not None:
        moments.append(last_ts + STALE_AFTER_INTERVALS * state.endpoint.interval_s)
    return min((moment for moment in moments if moment > now), default=float("inf"))


def _point(ts: float, up: bool) -> bytes:
    """``{"ts":"2024-01-15T10:30:00Z","s":"u"}``: ISO 8601 in UTC, to the second."""
    text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
    return b'{"ts":"%s","s":"%s"}' % (text.encode(), b"u" if up else b"d")


#: every encoded point has this length, so a sparkline is cut by offsets, never parsed
POINT_BYTES = len(_point(0.0, True))
_POINT_STRIDE = POINT_BYTES + len(_SEPARATOR)


#: ``_RenderedItem.slot`` before the item's endpoint is looked up in the current table
_NOT_LOOKED_UP = -1


@dataclass(slots=True, eq=False)
class _RenderedItem:
    entry: CatalogEntry
    #: the endpoint's slot in the state table (``None``: not in it)
    slot: int | None = _NOT_LOOKED_UP
    #: ``StateTable.change_count`` when rendered
    change_count: int = -1
    holds_until: float = 0.0
    #: the encoded item, its sparkline last: ``...,"sparkline":[p1,p2,...]}``
    data: bytes = b""
    #: where the sparkline's points start in ``data``
    points_at: int = 0
    #: the time of the newest check already in the sparkline
    points_until: float = float("-inf")

    def refresh(self, entry: CatalogEntry, states: StateTable, now: float) -> None:
        state = None if self.slot is None else states.at(self.slot)
        status = status_of(state, now)
        self.entry = entry
        self.change_count = -1 if self.slot is None else states.change_count(self.slot)
        self.holds_until = _status_holds_until(state, now) if state else 0.0
        points = self._points(state.recent_checks() if state is not None else [])
        rtt = state.last_rtt_ms if state else None
        since = state.state_since if state else None
        head = (_ITEM_HEAD % (
            entry.live_encoded, status.value, json.dumps(rtt), json.dumps(iso(since)),
        )).encode()
        self.data, self.points_at = head + points + _ITEM_TAIL, len(head)

    def _points(self, recent: list[tuple[float, bool]]) -> bytes:
        """The sparkline's points, encoding only the checks newer than the last one encoded
        (times, not identities: the state hands out fresh tuples); the points already
        encoded are kept only inside ``data``, where a list of them took 2 KB an endpoint."""
        encoded = self.data[self.points_at : len(self.data) - len(_ITEM_TAIL)]
        unseen = [check for check in recent if check[0] > self.points_until]
        if not unseen:
            return encoded
        self.points_until = unseen[-1][0]
        fresh = _SEPARATOR.join(_point(ts, up) for ts, up in unseen[-SPARKLINE_POINTS:])
        kept = SPARKLINE_POINTS - min(len(unseen), SPARKLINE_POINTS)
        old = encoded[max(0, len(encoded) + 1 - kept * _POINT_STRIDE) :] if kept else b""
        return old + _SEPARATOR + fresh if old else fresh


@dataclass(frozen=True, slots=True)
class LiveBody:
    """``{"items": [...]}``, as the encoded items it is made of."""

    OPEN: ClassVar[bytes] = _OPEN
    SEPARATOR: ClassVar[bytes] = _SEPARATOR
    CLOSE: ClassVar[bytes] = _CLOSE

    items: list[bytes]

    def __len__(self) -> int:
        separators = max(len(self.items) - 1, 0) * len(_SEPARATOR)
        return len(_OPEN) + sum(map(len, self.items)) + separators + len(_CLOSE)

    async def chunks(self, chunk_bytes: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
        """The body in pieces of about ``chunk_bytes``."""
        piece, size = [_OPEN], len(_OPEN)
        for index, item in enumerate(self.items):
            if index:
                piece.append(_SEPARATOR)
            piece.append(item)
            size += len(item) + 1
            if size >= chunk_bytes:
                yield b"".join(piece)
                piece, size = [], 0
        piece.append(_CLOSE)
        yield b"".join(piece)


class LiveBoard:
    """The encoded live items of one web application, kept between requests."""

    def __init__(self) -> None:
        self._items: dict[str, _RenderedItem] = {}
        self._catalog: Catalog | None = None
        self._states: StateTable | None = None

    def render(
        self, catalog: Catalog, entries: list[CatalogEntry], states: StateTable, now: float
    ) -> LiveBody:
        """The items of ``entries``, in their order. An item is encoded again only when its
        entry, its state's change count or the moment its status can turn has changed:
        checking that costs a few attribute reads, at 10,000 items per request."""
        if catalog is not self._catalog:  # forget endpoints that left the configuration
            self._items = {key: item for key, item in self._items.items() if key in catalog}
            self._catalog = catalog
        if states is not self._states:  # a new table: slots are looked up in it again
            for kept in self._items.values():
                kept.slot = _NOT_LOOKED_UP
            self._states = states
        parts = []
        items = self._items
        for entry in entries:
            endpoint_id = entry.endpoint.id
            item = items.get(endpoint_id)
            if item is None:
                item = items[endpoint_id] = _RenderedItem(entry)
            if item.slot == _NOT_LOOKED_UP:
                item.slot = states.slot_of(endpoint_id)
            slot = item.slot
            if (
                slot is not None
                and item.entry is entry
                and item.change_count == states.change_count(slot)
                and now < item.holds_until
            ):
                parts.append(item.data)
                continue
            item.refresh(entry, states, now)
            parts.append(item.data)
        return LiveBody(parts)


def live_board() -> LiveBoard:
    board: LiveBoard | None = current_app.extensions.get(_EXTENSION_KEY)
    if board is None:
        board = current_app.extensions[_EXTENSION_KEY] = LiveBoard()
    return board
