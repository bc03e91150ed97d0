"""Damped state, outages and flapping of one endpoint (the rules of docs/api.md).

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

An ``EndpointState`` is a view of one slot of a ``StateTable`` (``state_table``), where the
numbers of every endpoint are kept in arrays; views are made on demand and cost nothing
to keep or to drop.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Sequence

from pulse_core.contract.view import EndpointStatus
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

if TYPE_CHECKING:
    from pulse_core.engine.state_table import StateTable
    from pulse_core.engine.topology import Verdict

#: how a dependent endpoint's failures are judged (:func:`pulse_core.engine.topology.verdict`),
#: asked only when they reach its threshold
Judge = Callable[[], "Verdict"]

FLAP_WINDOW_S = 300.0
FLAP_MAX_CHANGES = 3
STALE_AFTER_INTERVALS = 2.0
GAP_AFTER_INTERVALS = 2.5
#: how many of the latest checks each endpoint keeps for its sparkline
RECENT_CHECKS = 20
#: The longest step, in seconds, between two checks in the ring of recent checks (4.5 h):
#: each entry keeps the step from the check before it in 16 bits, with the outcome; a check
#: further away from the one before (or the clock set back further) starts the ring afresh.
MAX_STEP_S = 2**14 - 1

#: codes of the table's byte columns: ``State`` by position, ``CheckStatus`` by position + 1
STATES = (State.UNKNOWN, State.UP, State.DOWN, State.UNREACHABLE)
STATE_CODE = {state: code for code, state in enumerate(STATES)}
RUN_STATUSES = (None, CheckStatus.UP, CheckStatus.DOWN)
RUN_CODE = {status: code for code, status in enumerate(RUN_STATUSES)}
_UP_CODE = RUN_CODE[CheckStatus.UP]
_DOWN_CODE = RUN_CODE[CheckStatus.DOWN]
_UP_STATE_CODE = STATE_CODE[State.UP]
_DOWN_STATE_CODE = STATE_CODE[State.DOWN]
_CUT_OFF_CODES = (_DOWN_STATE_CODE, STATE_CODE[State.UNREACHABLE])

#: live status by ``STATES`` code (``None`` for UNKNOWN: the latest check tells), and by
#: ``RUN_STATUSES`` code of the latest check
_LIVE_OF_CODES = (None, LiveStatus.UP, LiveStatus.DOWN, LiveStatus.UNREACHABLE)
_LATEST_OF_CODES = (LiveStatus.DOWN, LiveStatus.UP, LiveStatus.DOWN)


def optional(value: float) -> float | None:
    """A float column's value, where NaN stands for none."""
    return None if math.isnan(value) else value


class EndpointState:
    """Everything Pulse knows about one endpoint between two checks, read from and written
    to its slot of the table."""

    __slots__ = ("_table", "_slot")

    def __init__(self, table: StateTable, slot: int) -> None:
        self._table = table
        self._slot = slot

    @property
    def endpoint(self) -> Endpoint:
        return self._table.endpoints[self._slot]

    @property
    def state(self) -> State:
        return STATES[self._table.state[self._slot]]

    @property
    def state_since(self) -> float | None:
        return optional(self._table.state_since[self._slot])

    @property
    def last(self) -> CheckResult | None:
        """The latest check (a new object at each call: compare ``checks_seen`` instead)."""
        table, slot = self._table, self._slot
        status = RUN_STATUSES[table.last_status[slot]]
        if status is None:
            return None
        error = table.last_errors.get(slot) if table.last_had_error[slot] else None
        return CheckResult(
            self.endpoint.id, table.last_ts[slot], status, optional(table.last_rtt_ms[slot]), error
        )

    @property
    def last_ts(self) -> float | None:
        return optional(self._table.last_ts[self._slot])

    @property
    def last_rtt_ms(self) -> float | None:
        """The latest check's round trip, if it had one."""
        return optional(self._table.last_rtt_ms[self._slot])

    @property
    def open_outage(self) -> Outage | None:
        """The open outage of its own, while DOWN."""
        opened = self._table.open_outages.get(self._slot)
        return opened if opened is not None and opened.offline else None

    @property
    def open_period(self) -> Outage | None:
        """What is open: the outage while DOWN, the period unreachable (an outage with a
        ``cause``) while UNREACHABLE; what a snapshot keeps and a gap closes."""
        return self._table.open_outages.get(self._slot)

    @property
    def last_error(self) -> str | None:
        """The latest error seen, kept after recovery: it describes the outage just closed."""
        return self._table.last_errors.get(self._slot)

    @property
    def flips(self) -> Sequence[float]:
        """Times of raw up/down changes in the flapping window, oldest first."""
        return self._table.flips.get(self._slot, ())

    @property
    def checks_up(self) -> int:
        """Checks since start-up that succeeded (``pulse_checks_total``)."""
        return self._table.checks_up[self._slot]

    @property
    def checks_down(self) -> int:
        return self._table.checks_down[self._slot]

    @property
    def checks_seen(self) -> int:
        """How many checks this state has taken in: it changes with every check."""
        return self.checks_up + self.checks_down

    @property
    def cause(self) -> str | None:
        """While UNREACHABLE: the parent whose outage cuts this endpoint off."""
        return self._table.causes.get(self._slot)

    @property
    def failing(self) -> bool:
        """Whether the latest check failed (a parent that may be on its way offline)."""
        return self._table.last_status[self._slot] == _DOWN_CODE

    @property
    def waiting(self) -> bool:
        """Failing past its threshold, yet neither offline nor unreachable: its verdict
        waited for a parent on its way offline."""
        table, slot = self._table, self._slot
        return (
            table.state[slot] not in _CUT_OFF_CODES
            and table.run_status[slot] == _DOWN_CODE
            and table.run_length[slot] >= self.endpoint.failure_threshold
        )

    def observe(self, check: CheckResult, judge: Judge | None = None) -> StatusChange | None:
        """Take one check into account; return the state change it caused, if any.

        ``judge`` is given for an endpoint that depends on others: failures that reach the
        threshold are then judged (docs/topology.md) before they make it offline."""
        table, slot = self._table, self._slot
        ts, error = check.ts, check.error
        status_code = RUN_CODE[check.status]
        up = status_code == _UP_CODE
        self._remember(table.last_ts[slot], ts, up)
        previous_code = table.last_status[slot]
        table.last_status[slot] = status_code
        table.last_ts[slot] = ts
        table.last_rtt_ms[slot] = math.nan if check.rtt_ms is None else check.rtt_ms
        if up:
            table.checks_up[slot] += 1
        else:
            table.checks_down[slot] += 1
        if error is None:
            table.last_had_error[slot] = 0
        else:
            table.last_had_error[slot] = 1
            table.last_errors[slot] = error
        if previous_code and previous_code != status_code:
            self._add_flip(ts)
        if slot in table.flips:
            self._forget_flips_before(ts - FLAP_WINDOW_S)

        if status_code == table.run_status[slot]:
            run_length = table.run_length[slot] = table.run_length[slot] + 1
        else:
            run_length = 1
            table.run_status[slot], table.run_length[slot] = status_code, run_length
            table.run_started[slot] = ts

        endpoint, state_code = table.endpoints[slot], table.state[slot]
        if judge is not None and not up and state_code != _DOWN_STATE_CODE:
            return self._judged(check, judge)
        threshold = endpoint.success_threshold if up else endpoint.failure_threshold
        if run_length < threshold or state_code == (_UP_STATE_CODE if up else _DOWN_STATE_CODE):
            return None
        return self._enter(State.UP if up else State.DOWN, check)

    def _judged(self, check: CheckResult, judge: Judge) -> StatusChange | None:
        """A failed check of a dependent endpoint that is not offline: unreachable while a
        parent is offline; after the parents are back, offline once ``failure_threshold``
        checks failed that began at least one interval after the latest came back."""
        table, slot = self._table, self._slot
        unreachable = self.state is State.UNREACHABLE
        if not unreachable and table.run_length[slot] < self.endpoint.failure_threshold:
            return None
        verdict = judge()
        if verdict.wait or (unreachable and verdict.cause is not None):
            return None
        if verdict.cause is not None:
            return self.cut_off(verdict.cause, check)
        if unreachable and check.ts < verdict.released_ts + self.endpoint.interval_s:
            table.run_status[slot], table.run_length[slot] = 0, 0  # not counted: a fresh run
            return None
        if table.run_length[slot] < self.endpoint.failure_threshold:
            return None
        return self._enter(State.DOWN, check)

    def blame(self, cause: str) -> None:
        """Name the parent an UNREACHABLE state restored from the store is behind (the
        store keeps states, not their causes)."""
        self._table.causes[self._slot] = cause

    def cut_off(self, cause: str, check: CheckResult | None = None) -> StatusChange:
        """Become UNREACHABLE behind ``cause``, at ``check`` or the latest check: no outage
        of its own opens (the parent's is the outage), a period unreachable does (kept for
        history and reports, from the first failed check of the run)."""
        table, slot = self._table, self._slot
        check = check or self.last
        assert check is not None, "only an endpoint with failed checks is cut off"
        previous, run_started = self.state, table.run_started[slot]
        period = Outage(self.endpoint.id, run_started, last_error=check.error, cause=cause)
        table.open_outages[slot] = period
        table.state[slot] = STATE_CODE[State.UNREACHABLE]
        table.state_since[slot] = run_started
        table.causes[slot] = cause
        return StatusChange(
            self.endpoint.id, check.ts, State.UNREACHABLE, previous, check.rtt_ms, check.error,
            cause=cause, unreachable=period,
        )

    def _enter(self, target: State, check: CheckResult) -> StatusChange:
        """Become UP or DOWN at the start of the current run: an outage or a period
        unreachable that was open closes there, and DOWN opens an outage there.

        A period unreachable is closed only if it lasted: a run that began with it (its
        failures went on, uncounted as the endpoint's own, until they counted) makes the
        outage start where the period did, and that outage, of the same identity, takes
        its place in the store."""
        table, slot = self._table, self._slot
        previous, run_started = self.state, table.run_started[slot]
        table.causes.pop(slot, None)
        outage = unreachable = None
        if (opened := table.open_outages.pop(slot, None)) is not None:
            closed = replace(opened, ended_ts=run_started, last_error=self.last_error)
            if closed.offline:
                outage = closed
            elif run_started > opened.started_ts:
                unreachable = closed
        if target is State.DOWN:
            outage = Outage(self.endpoint.id, run_started, last_error=check.error)
            table.open_outages[slot] = outage
        table.state[slot], table.state_since[slot] = STATE_CODE[target], run_started
        return StatusChange(
            self.endpoint.id, check.ts, target, previous, check.rtt_ms, check.error, outage,
            unreachable=unreachable,
        )

    def _remember(self, previous_ts: float, ts: float, up: bool) -> None:
        """Put the check in the slot's ring of recent checks: the whole second of its oldest
        check (``recent_since``), then per check the whole seconds since the check before
        it, doubled, plus one if it succeeded. 44 bytes an endpoint, where times of their
        own took 84; seconds are what a sparkline shows."""
        table, slot = self._table, self._slot
        ring, at, second = table.recent, slot * RECENT_CHECKS, int(ts)
        length = table.recent_length[slot]
        step = second - int(previous_ts) if length else 0
        if not -MAX_STEP_S <= step <= MAX_STEP_S:
            length = 0  # too far from the check before: a fresh start
        if length == 0:
            table.recent_since[slot], table.recent_next[slot], step = second, 0, 0
        elif length == RECENT_CHECKS:  # the oldest makes way; the one after it is the oldest
            after_oldest = (table.recent_next[slot] + 1) % RECENT_CHECKS
            table.recent_since[slot] += ring[at + after_oldest] >> 1
            length -= 1
        entry = table.recent_next[slot]
        ring[at + entry] = step << 1 | up
        table.recent_next[slot] = (entry + 1) % RECENT_CHECKS
        table.recent_length[slot] = length + 1

    def recent_checks(self) -> list[tuple[float, bool]]:
        """The latest checks (at most ``RECENT_CHECKS``) as ``(start time to the second, up)``,
        oldest first: what a sparkline needs."""
        table, slot = self._table, self._slot
        ring, at, length = table.recent, slot * RECENT_CHECKS, table.recent_length[slot]
        oldest = (table.recent_next[slot] - length) % RECENT_CHECKS
        second, checks = table.recent_since[slot], []
        for index in range(length):
            entry = ring[at + (oldest + index) % RECENT_CHECKS]
            if index:
                second += entry >> 1
            checks.append((float(second), bool(entry & 1)))
        return checks

    def _add_flip(self, ts: float) -> None:
        self._table.flips.setdefault(self._slot, []).append(ts)

    def _forget_flips_before(self, horizon: float) -> None:
        flips = self._table.flips.get(self._slot)
        if flips is not None and flips[0] < horizon:
            del flips[: bisect.bisect_left(flips, horizon)]
            if not flips:
                del self._table.flips[self._slot]

    def live_status(self, now: float) -> LiveStatus:
        """Read for every endpoint by each scrape and live-board request, so from the
        columns directly."""
        table, slot = self._table, self._slot
        if table.unchecked and slot in table.unchecked:
            return LiveStatus.UNKNOWN
        last_code = table.last_status[slot]
        if not last_code or now - table.last_ts[slot] > (
            STALE_AFTER_INTERVALS * table.endpoints[slot].interval_s
        ):
            return LiveStatus.DOWN
        if slot in table.flips:
            self._forget_flips_before(now - FLAP_WINDOW_S)
            if len(table.flips.get(slot, ())) > FLAP_MAX_CHANGES:
                return LiveStatus.FLAPPING
        return _LIVE_OF_CODES[table.state[slot]] or _LATEST_OF_CODES[last_code]

    def status(self, now: float) -> EndpointStatus:
        """The live state as a value: what plugins read (``PulseView.status``). Read for
        every endpoint by each scrape, so from the columns directly."""
        table, slot = self._table, self._slot
        return EndpointStatus(
            table.endpoints[slot], self.live_status(now), STATES[table.state[slot]],
            optional(table.state_since[slot]), optional(table.last_ts[slot]),
            optional(table.last_rtt_ms[slot]), table.last_errors.get(slot),
            table.checks_up[slot], table.checks_down[slot], table.causes.get(slot),
            table.unchecked.get(slot),
        )

    def snapshot(self) -> EndpointSnapshot:
        return EndpointSnapshot(
            self.endpoint.id, self.state, self.state_since, self.last_ts, self.open_period
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
        table, slot = self._table, self._slot
        table.state[slot] = STATE_CODE[snapshot.state]
        table.state_since[slot] = math.nan if snapshot.state_since is None else snapshot.state_since
        if snapshot.open_outage is not None:
            table.open_outages[slot] = snapshot.open_outage
            if snapshot.open_outage.last_error is not None:
                table.last_errors[slot] = snapshot.open_outage.last_error
        if snapshot.state is not State.UNKNOWN:
            status = CheckStatus.UP if snapshot.state is State.UP else CheckStatus.DOWN
            threshold = (
                self.endpoint.failure_threshold
                if status is CheckStatus.DOWN
                else self.endpoint.success_threshold
            )
            table.run_status[slot], table.run_length[slot] = RUN_CODE[status], threshold
            table.run_started[slot] = snapshot.state_since or last_ts
        return None

