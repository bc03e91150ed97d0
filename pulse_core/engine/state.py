"""Damped state, outages and flapping of one endpoint (REFERENCE.md 1.2).

Pure bookkeeping, no I/O: the monitor feeds check results in and writes out whatever
changes come back, which keeps every rule testable with plain timestamps.

- ``failure_threshold`` consecutive failed checks make the endpoint DOWN and open an outage
  that starts at the first failed check of the run; ``success_threshold`` consecutive
  successes make it UP and close the outage at the first successful check of the run.
- Live status is DOWN without a recent check (none yet, or the last is older than two
  intervals), FLAPPING after more than three raw up/down changes in five minutes (an endpoint
  alternating every check never reaches a threshold, yet is anything but fine), else the
  damped state, or the latest check while no state has been reached yet.
- After a restart, a gap longer than 2.5 intervals since the last stored check closes the
  open outage at that check, marked as a gap, and the endpoint starts again from UNKNOWN.
"""

from __future__ import annotations

import bisect
from array import array
from dataclasses import dataclass, field, replace
from typing import Sequence

from pulse_core.models import (
    CheckResult,
    CheckStatus,
    Endpoint,
    EndpointSnapshot,
    LiveStatus,
    Outage,
    State,
    StatusChange,
)

FLAP_WINDOW_S = 300.0
FLAP_MAX_CHANGES = 3
STALE_AFTER_INTERVALS = 2.0
GAP_AFTER_INTERVALS = 2.5
#: how many of the latest checks each endpoint keeps for its sparkline
RECENT_CHECKS = 20

_EMPTY_RING = array("I", [0]) * (1 + RECENT_CHECKS)

_STATE_OF = {CheckStatus.UP: State.UP, CheckStatus.DOWN: State.DOWN}
_LIVE_OF = {State.UP: LiveStatus.UP, State.DOWN: LiveStatus.DOWN}


@dataclass(slots=True)
class EndpointState:
    """Everything Pulse knows about one endpoint between two checks."""

    endpoint: Endpoint
    state: State = State.UNKNOWN
    state_since: float | None = None
    last: CheckResult | None = None
    open_outage: Outage | None = None
    last_error: str | None = None
    run_status: CheckStatus | None = None
    run_length: int = 0
    run_started: float = 0.0
    #: times of raw up/down changes in the flapping window, oldest first; an empty tuple until
    #: the first change (most endpoints never flip: an empty list would cost 56 bytes each)
    flips: Sequence[float] = ()
    #: checks since start-up, by outcome (``pulse_checks_total``)
    checks_up: int = 0
    checks_down: int = 0
    #: the latest ``RECENT_CHECKS`` checks, created at the first check: ``[base, *ring]``,
    #: where base is the first check's whole second and each entry the whole seconds since
    #: then, plus one, doubled, plus one if the check succeeded (0: no check yet). 164 bytes,
    #: where an array of floats took 264 and 20 ``CheckResult`` objects 2,400; seconds are
    #: what a sparkline shows. See :meth:`recent_checks`
    _recent: array[int] | None = field(default=None, init=False, repr=False)
    _recent_next: int = field(default=0, init=False, repr=False)

    def observe(self, check: CheckResult) -> StatusChange | None:
        """Take one check into account; return the state change it caused, if any."""
        previous_check = self.last
        self.last = check
        up = check.status is CheckStatus.UP
        if up:
            self.checks_up += 1
        else:
            self.checks_down += 1
        self._remember(check.ts, up)
        if check.error is not None:
            self.last_error = check.error
        if previous_check is not None and previous_check.status != check.status:
            self._add_flip(check.ts)
        self._forget_flips_before(check.ts - FLAP_WINDOW_S)

        if check.status is self.run_status:
            self.run_length += 1
        else:
            self.run_status, self.run_length, self.run_started = check.status, 1, check.ts

        threshold = (
            self.endpoint.failure_threshold
            if check.status is CheckStatus.DOWN
            else self.endpoint.success_threshold
        )
        target = _STATE_OF[check.status]
        if self.run_length < threshold or self.state is target:
            return None
        return self._enter(target, check)

    def _enter(self, target: State, check: CheckResult) -> StatusChange:
        previous, outage = self.state, None
        if target is State.DOWN:
            outage = Outage(self.endpoint.id, self.run_started, last_error=check.error)
            self.open_outage = outage
        elif self.open_outage is not None:
            outage = replace(
                self.open_outage, ended_ts=self.run_started, last_error=self.last_error
            )
            self.open_outage = None
        self.state, self.state_since = target, self.run_started
        return StatusChange(
            self.endpoint.id, check.ts, target, previous, check.rtt_ms, check.error, outage
        )

    def _remember(self, ts: float, up: bool) -> None:
        ring, second = self._recent, int(ts)
        if ring is None:
            ring = self._recent = _EMPTY_RING[:]  # a copy exactly this size
            ring[0] = second
        elif second < ring[0]:  # the clock was set back before the first check
            _rebase(ring, second)
        ring[1 + self._recent_next] = (second - ring[0] + 1) << 1 | up
        self._recent_next = (self._recent_next + 1) % RECENT_CHECKS

    def recent_checks(self) -> list[tuple[float, bool]]:
        """The latest checks (at most ``RECENT_CHECKS``) as ``(start time to the second, up)``,
        oldest first: what a sparkline needs."""
        ring = self._recent
        if ring is None:
            return []
        base, start = ring[0] - 1, 1 + self._recent_next
        return [
            (float(base + (entry >> 1)), bool(entry & 1))
            for entry in ring[start:] + ring[1:start]
            if entry
        ]

    def _add_flip(self, ts: float) -> None:
        if isinstance(self.flips, list):
            self.flips.append(ts)
        else:
            self.flips = [ts]

    def _forget_flips_before(self, horizon: float) -> None:
        flips = self.flips
        if isinstance(flips, list) and flips[0] < horizon:
            del flips[: bisect.bisect_left(flips, horizon)]
            if not flips:
                self.flips = ()

    def live_status(self, now: float) -> LiveStatus:
        last = self.last
        if last is None or now - last.ts > STALE_AFTER_INTERVALS * self.endpoint.interval_s:
            return LiveStatus.DOWN
        self._forget_flips_before(now - FLAP_WINDOW_S)
        if len(self.flips) > FLAP_MAX_CHANGES:
            return LiveStatus.FLAPPING
        if self.state is State.UNKNOWN:
            return LiveStatus(last.status.value)
        return _LIVE_OF[self.state]

    def snapshot(self) -> EndpointSnapshot:
        return EndpointSnapshot(
            self.endpoint.id,
            self.state,
            self.state_since,
            self.last.ts if self.last else None,
            self.open_outage,
        )

    def restore(self, snapshot: EndpointSnapshot, now: float) -> Outage | None:
        """Resume from what the store remembered; return an outage the gap rule closed."""
        last_ts = snapshot.last_check_ts
        if last_ts is None:
            return None
        if now - last_ts > GAP_AFTER_INTERVALS * self.endpoint.interval_s:
            if snapshot.open_outage is None:
                return None
            return replace(snapshot.open_outage, ended_ts=last_ts, gap=True)
        self.state, self.state_since = snapshot.state, snapshot.state_since
        self.open_outage = snapshot.open_outage
        if snapshot.open_outage is not None:
            self.last_error = snapshot.open_outage.last_error
        if snapshot.state is not State.UNKNOWN:
            status = CheckStatus(snapshot.state.value)
            threshold = (
                self.endpoint.failure_threshold
                if status is CheckStatus.DOWN
                else self.endpoint.success_threshold
            )
            self.run_status, self.run_length = status, threshold
            self.run_started = snapshot.state_since or last_ts
        return None


def _rebase(ring: array[int], base: int) -> None:
    """Count the ring's entries from ``base``, an earlier second than its own."""
    shift = (ring[0] - base) << 1
    for index in range(1, len(ring)):
        if ring[index]:
            ring[index] += shift
    ring[0] = base
