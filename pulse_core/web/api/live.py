"""Live status from the monitor's in-memory states, encoded fast enough for 10,000 endpoints.

Between two requests most endpoints have not been checked again, so each endpoint's encoded
item is kept and reused while its latest check and last change are the same and its status
cannot have moved on: live status changes with time alone only when the latest check turns
stale or the oldest flip leaves the flapping window, so an item records until when it holds.
Its sparkline is kept as encoded points (inside the encoded item: each point has the same
length, so keeping the latest 20 is a slice), and only checks newer than the last encoded
one are added. A request visits only the items to encode again: those whose state changed
since the request before (the state table's columns compared whole with a copy of them) and
those past the moment they held until (kept per block of items).

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
from array import array
from dataclasses import dataclass
from typing import AsyncIterator, ClassVar

from quart import current_app

from pulse_core.engine.state import (
    FLAP_WINDOW_S,
    RECENT_CHECKS,
    STALE_AFTER_INTERVALS,
    EndpointState,
)
from pulse_core.engine.state_table import Seen, StateTable
from pulse_core.models import LiveStatus
from pulse_core.web.api.catalog import Catalog, CatalogEntry
from pulse_core.web.serialize import iso

#: every check the state keeps (20): the dashboard draws 20 bars
SPARKLINE_POINTS = RECENT_CHECKS
CHUNK_BYTES = 256 * 1024
#: items whose earliest turn with time is kept as one: a request compares a few hundred of
#: these moments with the clock instead of every item's
TURN_BLOCK = 64

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


@dataclass(slots=True, eq=False)
class _RenderedItem:
    entry: CatalogEntry
    #: the endpoint's slot in the state table (``None``: not in it)
    slot: int | None = None
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
    #: the items' lengths added up, when the maker knows it (else they are added up here)
    items_bytes: int = -1

    def __len__(self) -> int:
        items_bytes = self.items_bytes if self.items_bytes >= 0 else sum(map(len, self.items))
        separators = max(len(self.items) - 1, 0) * len(_SEPARATOR)
        return len(_OPEN) + items_bytes + separators + len(_CLOSE)

    async def chunks(self, chunk_bytes: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
        """The body in pieces of about ``chunk_bytes``: as many items each as make that on
        average, each piece joined in one call, its leading comma an empty first item (a loop
        that measured every item, and a second copy of each piece, cost 5 ms at 20,000)."""
        items = self.items
        if not items:
            yield _OPEN + _CLOSE
            return
        count = max(1, chunk_bytes * len(items) // len(self))
        for start in range(0, len(items), count):
            end = start + count
            if start:
                piece = _SEPARATOR.join([b"", *items[start:end]])
            else:
                piece = _OPEN + _SEPARATOR.join(items[:end])
            yield piece + _CLOSE if end >= len(items) else piece


class LiveBoard:
    """The encoded live items of one web application's catalogue, kept between requests.

    Every item of the catalogue is kept encoded, in its order. A request encodes again only
    the items whose state changed since the one before (``StateTable.changed_since``: the
    columns compared whole, not 20,000 slots asked one by one) and those whose status has
    turned with time alone (found through the earliest such moment of each block of
    ``TURN_BLOCK`` items); the whole list is then a copy of the kept one, a filtered list a
    pick from it."""

    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self._states: StateTable | None = None
        #: in ``catalog.entries`` order, and each one's ``data`` beside it
        self._items: list[_RenderedItem] = []
        self._parts: list[bytes] = []
        #: ``_parts``' lengths added up
        self._parts_bytes = 0
        #: each entry's position, made for the first filtered request of a catalogue (the
        #: dashboard asks for the whole list only, and this takes some 60 bytes an entry)
        self._positions: dict[CatalogEntry, int] | None = None
        #: the position of each slot's item (-1: not in the catalogue)
        self._position_of_slot = array("i")
        self._seen: Seen | None = None
        #: per block of ``TURN_BLOCK`` items, a moment no later than the earliest at which
        #: one of their statuses turns with time alone
        self._turns = array("d")

    def render(
        self, catalog: Catalog, entries: list[CatalogEntry], states: StateTable, now: float
    ) -> LiveBody:
        """The items of ``entries`` (the catalogue's, or a selection of them), in their order."""
        if catalog is not self._catalog or states is not self._states:
            self._encode_all(catalog, states, now)
        else:
            self._catch_up(states, now)
        if entries is catalog.entries:
            return LiveBody(list(self._parts), self._parts_bytes)
        if self._positions is None:
            self._positions = {entry: position for position, entry in enumerate(catalog.entries)}
        parts, positions = self._parts, self._positions
        return LiveBody([parts[positions[entry]] for entry in entries])

    def _encode_all(self, catalog: Catalog, states: StateTable, now: float) -> None:
        """A new configuration or state table: every item encoded again (those of endpoints
        that stay keep their encoded points), slots looked up in the table."""
        kept = {item.entry.endpoint.id: item for item in self._items}
        self._catalog, self._states, self._seen = catalog, states, states.seen()
        self._items = [
            kept.get(entry.endpoint.id) or _RenderedItem(entry) for entry in catalog.entries
        ]
        self._positions = None
        self._position_of_slot = array("i", [-1]) * len(states)
        for position, (item, entry) in enumerate(zip(self._items, catalog.entries)):
            item.slot = states.slot_of(entry.endpoint.id)
            if item.slot is not None:
                self._position_of_slot[item.slot] = position
            item.refresh(entry, states, now)
        self._parts = [item.data for item in self._items]
        self._parts_bytes = sum(map(len, self._parts))
        blocks = range(0, len(self._items), TURN_BLOCK)
        self._turns = array("d", [self._earliest_turn(start) for start in blocks])

    def _catch_up(self, states: StateTable, now: float) -> None:
        """Encode again the items whose state changed or whose status turned since the last
        request, and put them in place."""
        assert self._seen is not None
        position_of_slot, items, turns = self._position_of_slot, self._items, self._turns
        stale = {position_of_slot[slot] for slot in states.changed_since(self._seen)}
        stale.discard(-1)
        self._seen = states.seen()
        turned: list[int] = []
        if turns and min(turns) <= now:
            turned = [block for block, moment in enumerate(turns) if moment <= now]
        for block in turned:
            start = block * TURN_BLOCK
            stale.update(
                position for position in range(start, min(start + TURN_BLOCK, len(items)))
                if items[position].holds_until <= now
            )
        parts = self._parts
        for position in stale:
            item = items[position]
            item.refresh(item.entry, states, now)
            self._parts_bytes += len(item.data) - len(parts[position])
            parts[position] = item.data
            block = position // TURN_BLOCK
            turns[block] = min(turns[block], item.holds_until)
        for block in turned:
            turns[block] = self._earliest_turn(block * TURN_BLOCK)

    def _earliest_turn(self, start: int) -> float:
        return min(item.holds_until for item in self._items[start : start + TURN_BLOCK])


def live_board() -> LiveBoard:
    board: LiveBoard | None = current_app.extensions.get(_EXTENSION_KEY)
    if board is None:
        board = current_app.extensions[_EXTENSION_KEY] = LiveBoard()
    return board
