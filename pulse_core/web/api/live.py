"""Live status from the monitor's in-memory states, encoded fast enough for 10,000 endpoints.

Between two requests most endpoints have not been checked again, so each endpoint's encoded
item is kept and reused while its latest check and last change are the same and its status
cannot have moved on: live status changes with time alone only when the latest check turns
stale or the oldest flip leaves the flapping window, so an item records until when it holds.
Its sparkline is kept as encoded points, and only checks newer than the last encoded one are
added. A request then costs a few comparisons per endpoint and one join of bytes.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Mapping

from quart import current_app

from pulse_core.engine.state import (
    FLAP_WINDOW_S,
    RECENT_CHECKS,
    STALE_AFTER_INTERVALS,
    EndpointState,
)
from pulse_core.models import CheckResult, LiveStatus
from pulse_core.web.api.catalog import Catalog, CatalogEntry
from pulse_core.web.serialize import iso

_EXTENSION_KEY = "pulse.live_board"
_ITEM = '{"endpoint":%s,"status":"%s","rttMs":%s,"lastChangeTs":%s,"sparkline":[%s]}'


def status_of(state: EndpointState | None, now: float) -> LiveStatus:
    """An endpoint the monitor does not know (yet) has no recent check: it is down."""
    return LiveStatus.DOWN if state is None else state.live_status(now)


def _status_holds_until(state: EndpointState, now: float) -> float:
    """Until when ``state.live_status(now)`` can only change through a new check: the latest
    check turning stale, or the oldest flip leaving the flapping window."""
    moments = [state.flips[0] + FLAP_WINDOW_S] if state.flips else []
    if state.last is not None:
        moments.append(state.last.ts + STALE_AFTER_INTERVALS * state.endpoint.interval_s)
    return min((moment for moment in moments if moment > now), default=float("inf"))


def _point(ts: float, up: bool) -> str:
    return '{"ts":"%s","s":"%s"}' % (iso(ts), "u" if up else "d")


@dataclass(slots=True, eq=False)
class _RenderedItem:
    entry: CatalogEntry
    last: CheckResult | None = None
    status: LiveStatus | None = None
    since: float | None = None
    flip_count: int = 0
    holds_until: float = 0.0
    data: bytes = b""
    points: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT_CHECKS))
    #: the time of the newest check already in ``points``
    points_until: float = float("-inf")

    def unchanged(self, entry: CatalogEntry, state: EndpointState, now: float) -> bool:
        """Nothing the item shows can differ from what it was rendered with."""
        return (
            self.entry is entry
            and self.last is state.last
            and self.since == state.state_since
            and self.flip_count == len(state.flips)
            and now < self.holds_until
        )

    def refresh(
        self, entry: CatalogEntry, state: EndpointState | None, status: LiveStatus, now: float
    ) -> None:
        self.entry, self.status = entry, status
        self.last = state.last if state else None
        self.since = state.state_since if state else None
        self.flip_count = len(state.flips) if state else 0
        self.holds_until = _status_holds_until(state, now) if state else 0.0
        self._follow(state.recent_checks() if state else [])
        rtt = self.last.rtt_ms if self.last else None
        self.data = (_ITEM % (
            entry.encoded, status.value, json.dumps(rtt), json.dumps(iso(self.since)),
            ",".join(self.points),
        )).encode()

    def _follow(self, recent: list[tuple[float, bool]]) -> None:
        """Bring ``points`` level with ``recent`` (``(time, up)``, oldest first), encoding
        only the checks newer than the last one encoded."""
        unseen = [check for check in recent if check[0] > self.points_until]
        if unseen:
            self.points.extend(_point(ts, up) for ts, up in unseen)
            self.points_until = unseen[-1][0]


class LiveBoard:
    """The encoded live items of one web application, kept between requests."""

    def __init__(self) -> None:
        self._items: dict[str, _RenderedItem] = {}
        self._catalog: Catalog | None = None

    def render(
        self, catalog: Catalog, entries: list[CatalogEntry],
        states: Mapping[str, EndpointState], now: float,
    ) -> bytes:
        """``{"items": [...]}`` for ``entries``, in their order."""
        if catalog is not self._catalog:  # forget endpoints that left the configuration
            self._items = {key: item for key, item in self._items.items() if key in catalog}
            self._catalog = catalog
        parts = []
        items = self._items
        for entry in entries:
            endpoint_id = entry.endpoint.id
            state = states.get(endpoint_id)
            item = items.get(endpoint_id)
            if item is None:
                item = items[endpoint_id] = _RenderedItem(entry)
            elif state is not None and item.unchanged(entry, state, now):
                parts.append(item.data)
                continue
            item.refresh(entry, state, status_of(state, now), now)
            parts.append(item.data)
        return b'{"items":[' + b",".join(parts) + b"]}"


def live_board() -> LiveBoard:
    board: LiveBoard | None = current_app.extensions.get(_EXTENSION_KEY)
    if board is None:
        board = current_app.extensions[_EXTENSION_KEY] = LiveBoard()
    return board
