"""Live status from the monitor's in-memory states, encoded fast enough for 10,000 endpoints.

Between two requests most endpoints have not been checked again, so each endpoint's encoded
item is kept and reused while its latest check, status and last change are the same; its
sparkline is kept as encoded points and only checks newer than the last encoded one are
added. A request then costs one status evaluation and one comparison per endpoint.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Mapping

from quart import current_app

from pulse_core.engine.state import EndpointState
from pulse_core.models import CheckResult, CheckStatus, LiveStatus
from pulse_core.web.api.catalog import Catalog, CatalogEntry
from pulse_core.web.serialize import iso

_EXTENSION_KEY = "pulse.live_board"
_ITEM = '{"endpoint":%s,"status":"%s","rttMs":%s,"lastChangeTs":%s,"sparkline":[%s]}'


def status_of(state: EndpointState | None, now: float) -> LiveStatus:
    """An endpoint the monitor does not know (yet) has no recent check: it is down."""
    return LiveStatus.DOWN if state is None else state.live_status(now)


def _point(check: CheckResult) -> str:
    return '{"ts":"%s","s":"%s"}' % (iso(check.ts), "u" if check.status is CheckStatus.UP else "d")


@dataclass(slots=True, eq=False)
class _RenderedItem:
    entry: CatalogEntry
    last: CheckResult | None = None
    status: LiveStatus | None = None
    since: float | None = None
    text: str = ""
    points: deque[str] = field(default_factory=deque)
    #: the newest check already in ``points``
    points_last: CheckResult | None = None

    def is_current(self, entry: CatalogEntry, state: EndpointState | None, status: LiveStatus) -> bool:
        if state is None:
            return self.entry is entry and self.status is status and self.last is None
        return (
            self.entry is entry
            and self.status is status
            and self.last is state.last
            and self.since == state.state_since
        )

    def refresh(self, entry: CatalogEntry, state: EndpointState | None, status: LiveStatus) -> None:
        self.entry, self.status = entry, status
        self.last = state.last if state else None
        self.since = state.state_since if state else None
        self._follow(state.recent if state else deque())
        rtt = self.last.rtt_ms if self.last else None
        self.text = _ITEM % (
            entry.encoded, status.value, json.dumps(rtt), json.dumps(iso(self.since)),
            ",".join(self.points),
        )

    def _follow(self, recent: deque[CheckResult]) -> None:
        """Bring ``points`` level with ``recent``, encoding only the checks not seen yet."""
        if self.points.maxlen != recent.maxlen:
            self.points, self.points_last = deque(maxlen=recent.maxlen), None
        newest = recent[-1] if recent else None
        if newest is self.points_last:
            return
        unseen: list[CheckResult] = []
        for check in reversed(recent):
            if check is self.points_last:
                break
            unseen.append(check)
        else:  # the last encoded check has left ``recent``: start over
            self.points.clear()
        self.points.extend(_point(check) for check in reversed(unseen))
        self.points_last = newest


class LiveBoard:
    """The encoded live items of one web application, kept between requests."""

    def __init__(self) -> None:
        self._items: dict[str, _RenderedItem] = {}
        self._catalog: Catalog | None = None

    def render(
        self, catalog: Catalog, entries: list[CatalogEntry],
        states: Mapping[str, EndpointState], now: float,
    ) -> str:
        """``{"items": [...]}`` for ``entries``, in their order."""
        if catalog is not self._catalog:  # forget endpoints that left the configuration
            self._items = {key: item for key, item in self._items.items() if key in catalog}
            self._catalog = catalog
        parts = []
        for entry in entries:
            endpoint_id = entry.endpoint.id
            state = states.get(endpoint_id)
            status = status_of(state, now)
            item = self._items.get(endpoint_id)
            if item is None:
                item = self._items[endpoint_id] = _RenderedItem(entry)
                item.refresh(entry, state, status)
            elif not item.is_current(entry, state, status):
                item.refresh(entry, state, status)
            parts.append(item.text)
        return '{"items":[' + ",".join(parts) + "]}"


def live_board() -> LiveBoard:
    board: LiveBoard | None = current_app.extensions.get(_EXTENSION_KEY)
    if board is None:
        board = current_app.extensions[_EXTENSION_KEY] = LiveBoard()
    return board
