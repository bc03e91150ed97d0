"""When each endpoint is checked.

Time is cut into ticks of 10 ms; each endpoint waits in the list of the tick it is due at (a
timing wheel), and a heap holds only the ticks that have such a list. An endpoint costs one
list entry where a heap entry of its own (a tuple, a due time and an order number) took
about 130 bytes, and starting the checks of a tick is one pop. Intervals run start-to-start
from the *scheduled* tick, so they do not drift with check duration. At start every endpoint gets a phase spread evenly
over its interval: 20,000 endpoints at 10 s start as 2,000 checks per second from the first
second, not in one burst and not one by one. Concurrency is bounded by a count of free slots
taken before a check starts, so under overload checks wait (and the wait shows up as lag)
rather than pile up. An endpoint is never checked twice at once: its next run is scheduled when its
current one finishes; a check that outlasts whole intervals resumes at once and the missed
runs are counted, never dropped silently.

Dispatching is a plain callback behind one loop timer armed for the earliest tick, not a
task waiting on an event under a timeout: at 2,000 checks/s that wait (an event, a future, a
timeout and its timer handle per check) cost more than starting the check itself.

Endpoints of a type whose probe checks in batches (``Batches``) are started as one task per
type and dispatch (the ticks it catches up with), not one per check: a task, its coroutine
and a wake-up of the loop per ICMP check cost several times what the ping itself does. Each
endpoint of a batch still takes a slot, given back, with its next run queued, as soon as its
own check is over: an endpoint that answers is not held to the pace of a silent one.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import time
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Coroutine, Protocol, Sequence

from pulse_core.models import Endpoint

log = logging.getLogger("pulse.scheduler")

#: the schedule's resolution: checks of one tick are started together, at 2,000 checks/s one
#: wake-up of the loop per 20 checks instead of one each
DISPATCH_TICK_S = 0.01

#: the share of an interval left free at the end when spreading endpoints over it
FIRST_ROUND_MARGIN = 0.1

RunCheck = Callable[[Endpoint, float], Awaitable[None]]
"""Runs one check of an endpoint; the float is the wall-clock time it was scheduled for."""


class Batches(Protocol):
    """What checks endpoints of some types in batches (the monitor)."""

    def batches(self, type_name: str) -> bool:
        """Whether endpoints of ``type_name`` are checked in batches."""

    async def run_batch(
        self, endpoints: Sequence[Endpoint], due: float, finished: Callable[[Sequence[int]], None]
    ) -> None:
        """Checks ``endpoints``, all of one type, once each, calling ``finished(indexes)`` as
        their checks are over (their results taken in; those of a burst of replies
        together); ``due`` as for ``RunCheck``."""


@dataclass
class SchedulerStats:
    """Figures an operator watches: how late checks start and how many could not run."""

    started: int = 0
    missed: int = 0
    last_lag_s: float = 0.0
    max_lag_s: float = 0.0
    #: every lag since start-up, in buckets: percentiles in fixed memory, where keeping the
    #: samples of a minute at 2,000 checks/s took a megabyte
    lags: LagHistogram = field(default_factory=lambda: LagHistogram())

    def record_lag(self, lag_s: float, checks: int = 1) -> None:
        """``checks`` checks started ``lag_s`` late (those of one tick share their lag)."""
        self.started += checks
        self.last_lag_s = lag_s
        self.max_lag_s = max(self.max_lag_s, lag_s)
        self.lags.add(lag_s, checks)


class LagHistogram:
    """Counts of lags in buckets of 0.1 ms up to 100 ms, of 1 ms up to 1 s, of 100 ms up to
    60 s, and one above: fine enough for the p99 the performance goals are written in."""

    _FINE_UNDER_MS, _MEDIUM_UNDER_MS, _COARSE_UNDER_MS = 100, 1_000, 60_000
    _MEDIUM_FROM = _FINE_UNDER_MS * 10
    _COARSE_FROM = _MEDIUM_FROM + _MEDIUM_UNDER_MS - _FINE_UNDER_MS
    _OVER = _COARSE_FROM + (_COARSE_UNDER_MS - _MEDIUM_UNDER_MS) // 100

    def __init__(self) -> None:
        self._counts = array("Q", [0]) * (self._OVER + 1)
        self.count = 0

    def add(self, lag_s: float, count: int = 1) -> None:
        self._counts[self._bucket(lag_s * 1000)] += count
        self.count += count

    def copy(self) -> LagHistogram:
        copied = LagHistogram()
        copied._counts[:] = self._counts
        copied.count = self.count
        return copied

    def since(self, earlier: LagHistogram) -> LagHistogram:
        """The lags added after ``earlier`` (a :meth:`copy` of this one): a window's
        percentiles, such as the steady state's after start-up."""
        window = LagHistogram()
        for bucket, count in enumerate(self._counts):
            window._counts[bucket] = count - earlier._counts[bucket]
        window.count = self.count - earlier.count
        return window

    def quantile(self, fraction: float) -> float:
        """The upper bound, in seconds, of the bucket holding the ``fraction`` quantile (0 when
        empty; infinity when it is above 60 s)."""
        if not self.count:
            return 0.0
        rank, seen = fraction * self.count, 0
        for bucket, count in enumerate(self._counts):
            seen += count
            if seen >= rank and count:
                return self._upper_bound_ms(bucket) / 1000
        return math.inf

    def _bucket(self, ms: float) -> int:
        if ms < self._FINE_UNDER_MS:
            return max(0, int(ms * 10))
        if ms < self._MEDIUM_UNDER_MS:
            return self._MEDIUM_FROM + int(ms - self._FINE_UNDER_MS)
        if ms < self._COARSE_UNDER_MS:
            return self._COARSE_FROM + int((ms - self._MEDIUM_UNDER_MS) / 100)
        return self._OVER

    def _upper_bound_ms(self, bucket: int) -> float:
        if bucket < self._MEDIUM_FROM:
            return (bucket + 1) / 10
        if bucket < self._COARSE_FROM:
            return self._FINE_UNDER_MS + bucket - self._MEDIUM_FROM + 1
        if bucket < self._OVER:
            return self._MEDIUM_UNDER_MS + (bucket - self._COARSE_FROM + 1) * 100
        return math.inf


class Scheduler:
    """Calls ``run_check`` for every enabled endpoint, once per interval, until stopped."""

    def __init__(
        self, run_check: RunCheck, max_concurrency: int = 5000, batches: Batches | None = None
    ) -> None:
        self._run_check = run_check
        self._batches = batches
        self._free_slots = max_concurrency
        #: tick -> the endpoints due at it, in the order they were queued
        self._due_at: dict[int, list[Endpoint]] = {}
        #: the ticks of ``_due_at``, earliest first
        self._ticks: list[int] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        #: the timer that dispatches the earliest tick, and the tick it was armed for
        self._timer: asyncio.TimerHandle | None = None
        self._timer_tick = math.inf
        self._running: set[asyncio.Task[None]] = set()
        #: counts schedules and reschedules; a check carries the epoch it was started in
        self._epoch = 0
        #: the epoch of the latest ``schedule``, and of each endpoint a reschedule placed
        #: anew since: a check started before its endpoint was placed anew must not queue a
        #: next run (the new placement did). Empty in the steady state, where a dict of every
        #: endpoint would cost 20 bytes each.
        self._scheduled_in = 0
        self._placed_in: dict[str, int] = {}
        #: the latest configuration of every scheduled endpoint, by id
        self._scheduled: dict[str, Endpoint] = {}
        self.stats = SchedulerStats()

    def schedule(self, endpoints: Sequence[Endpoint], now: float | None = None) -> None:
        """Replace the schedule with ``endpoints``, each phase spread over its interval."""
        now = time.time() if now is None else now
        self._due_at.clear()
        self._ticks.clear()
        self._epoch += 1
        self._scheduled_in, self._placed_in = self._epoch, {}
        self._scheduled = {ep.id: ep for ep in endpoints}
        self._spread(endpoints, now)

    def reschedule(self, endpoints: Sequence[Endpoint], now: float | None = None) -> None:
        """Follow a changed configuration without restarting everything.

        An endpoint still checked at the same interval keeps its place in the schedule (its
        next check stays due when it was), with its new settings from its next check on; new
        endpoints and those whose interval changed or that were enabled are spread over their
        interval from ``now``; endpoints left out are no longer checked.
        """
        now = time.time() if now is None else now
        kept = {
            endpoint.id
            for endpoint in endpoints
            if endpoint.enabled
            and (previous := self._scheduled.get(endpoint.id)) is not None
            and previous.enabled
            and previous.interval_s == endpoint.interval_s
        }
        self._scheduled = {ep.id: ep for ep in endpoints}
        self._epoch += 1
        placed_anew = [ep for ep in endpoints if ep.id not in kept]
        self._placed_in = {
            endpoint_id: epoch
            for endpoint_id, epoch in self._placed_in.items()
            if endpoint_id in self._scheduled
        }
        self._placed_in.update((ep.id, self._epoch) for ep in placed_anew)
        for tick, waiting in list(self._due_at.items()):
            waiting[:] = [self._scheduled[ep.id] for ep in waiting if ep.id in kept]
            if not waiting:
                del self._due_at[tick]
        self._ticks = list(self._due_at)
        heapq.heapify(self._ticks)
        self._spread(placed_anew, now)

    def _spread(self, endpoints: Sequence[Endpoint], now: float) -> None:
        """Give each enabled endpoint a first due time, evenly spread over its interval."""
        by_interval: dict[float, list[Endpoint]] = defaultdict(list)
        for endpoint in endpoints:
            if endpoint.enabled:
                by_interval[endpoint.interval_s].append(endpoint)
        for interval, members in by_interval.items():
            # Spread over all of the interval but a margin, so that the last of a first round
            # still starts within its interval when the loop runs a little late.
            step = (interval - min(interval * FIRST_ROUND_MARGIN, 1.0)) / len(members)
            for index, endpoint in enumerate(members):
                self._queue(_tick_of(now + index * step), endpoint)
        self._arm()

    def _queue(self, tick: int, endpoint: Endpoint) -> None:
        waiting = self._due_at.get(tick)
        if waiting is None:
            waiting = self._due_at[tick] = []
            heapq.heappush(self._ticks, tick)
        waiting.append(endpoint)

    async def run(self) -> None:
        """Dispatch checks until cancelled; running checks are awaited on the way out."""
        self._loop = asyncio.get_running_loop()
        self._arm()
        try:
            await self._loop.create_future()  # the timer does the work; wait to be cancelled
        finally:
            self._disarm()
            self._loop = None
            for task in list(self._running):
                task.cancel()
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)

    def _arm(self) -> None:
        """Make sure the timer fires at the earliest tick (if a slot is free to run it)."""
        if self._loop is None or not self._ticks or self._free_slots <= 0:
            return
        tick = self._ticks[0]
        if self._timer is not None:
            if self._timer_tick <= tick:
                return  # it fires first; the dispatch re-arms for whatever is next
            self._timer.cancel()
        self._timer_tick = tick
        self._timer = self._loop.call_later(tick * DISPATCH_TICK_S - time.time(), self._dispatch_due)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_tick = None, math.inf

    def _dispatch_due(self) -> None:
        """Start every check that is due, as far as slots allow, then re-arm."""
        self._timer, self._timer_tick = None, math.inf
        ticks, now = self._ticks, time.time()
        #: by type, the endpoints to check in batches and the tick each was due at: one
        #: batch for every tick this dispatch catches up with (the loop's timer is often a
        #: tick or two late), not one per tick
        batched: dict[str, tuple[list[Endpoint], list[int]]] = {}
        batching: dict[str, bool] = {}  # by type: whether it is checked in batches
        while ticks and ticks[0] * DISPATCH_TICK_S <= now and self._free_slots > 0:
            tick = ticks[0]
            waiting = self._due_at[tick]
            starting = waiting[: self._free_slots]
            del waiting[: len(starting)]
            if not waiting:
                heapq.heappop(ticks)
                del self._due_at[tick]
            due = tick * DISPATCH_TICK_S
            self._free_slots -= len(starting)
            self.stats.record_lag(now - due, len(starting))
            for endpoint in starting:
                if endpoint.type not in batching:
                    batching[endpoint.type] = self._batches is not None and (
                        self._batches.batches(endpoint.type)
                    )
                if batching[endpoint.type]:
                    endpoints, their_ticks = batched.setdefault(endpoint.type, ([], []))
                    endpoints.append(endpoint)
                    their_ticks.append(tick)
                else:
                    self._start(self._check(endpoint, tick, self._epoch))
        for endpoints, their_ticks in batched.values():
            self._start(self._check_batch(endpoints, their_ticks, self._epoch))
        self._arm()

    def _start(self, check: Coroutine[None, None, None]) -> None:
        task = asyncio.create_task(check)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _check(self, endpoint: Endpoint, tick: int, epoch: int) -> None:
        try:
            await self._run_check(endpoint, tick * DISPATCH_TICK_S)
        except Exception:
            log.exception("check of %s (%s) failed unexpectedly", endpoint.name, endpoint.id)
        finally:
            self._free_slots += 1
        if self._still_placed(endpoint.id, epoch):
            self._queue_next(self._scheduled[endpoint.id], tick, _tick_of(time.time()))
        self._arm()

    async def _check_batch(self, endpoints: list[Endpoint], ticks: list[int], epoch: int) -> None:
        """Check ``endpoints`` (of one type, each due at its tick of ``ticks``) in one call;
        each endpoint's slot and next run as its check ends, as for a check of its own."""
        assert self._batches is not None
        over = bytearray(len(endpoints))

        def finished(indexes: Sequence[int]) -> None:
            now = _tick_of(time.time())
            for index in indexes:
                if over[index]:
                    continue
                over[index] = 1
                self._free_slots += 1
                endpoint = endpoints[index]
                if self._still_placed(endpoint.id, epoch):
                    self._queue_next(self._scheduled[endpoint.id], ticks[index], now)
            self._arm()

        try:
            await self._batches.run_batch(endpoints, ticks[0] * DISPATCH_TICK_S, finished)
        except asyncio.CancelledError:
            self._free_slots += len(endpoints) - sum(over)  # stopping: no next runs
            raise
        except Exception:
            log.exception("checks of %d %s endpoints failed unexpectedly",
                          len(endpoints), endpoints[0].type)
        finished(range(len(endpoints)))

    def _still_placed(self, endpoint_id: str, started_in: int) -> bool:
        """Whether the endpoint of a check started in epoch ``started_in`` is still scheduled
        where it was then (not removed, not placed anew)."""
        placed_in = max(self._scheduled_in, self._placed_in.get(endpoint_id, 0))
        return endpoint_id in self._scheduled and placed_in <= started_in

    def _queue_next(self, endpoint: Endpoint, tick: int, now: int) -> None:
        """Queue the run one interval after ``tick`` (with the endpoint's current settings),
        or at ``now`` (a tick) when the check outlasted whole intervals, counting the runs
        it missed."""
        interval = max(1, round(endpoint.interval_s / DISPATCH_TICK_S))
        next_tick = tick + interval
        if next_tick < now - interval:
            missed = (now - next_tick) // interval
            self.stats.missed += missed
            log.warning(
                "%s: check took %.1f s, longer than its interval; %d run(s) missed",
                endpoint.name, (now - tick) * DISPATCH_TICK_S, missed,
            )
            next_tick = now
        self._queue(next_tick, endpoint)


def _tick_of(moment: float) -> int:
    """The tick a check due at ``moment`` starts at: the first at or after it."""
    return math.ceil(round(moment / DISPATCH_TICK_S, 6))


def scheduled_time(moment: float) -> float:
    """The due time a check meant for ``moment`` is given: its tick's."""
    return _tick_of(moment) * DISPATCH_TICK_S
