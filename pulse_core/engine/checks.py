"""One check of one endpoint (or of a batch): the probe called up to ``1 + retries`` times.

A probe promises to answer within the endpoint's timeout; the guard here only catches a probe
that breaks that promise, so one faulty plugin cannot stall a check slot forever, and turns a
probe that raises into a failed attempt.

The guard is not an ``asyncio.timeout`` per attempt: that is a timer handle pushed on the
loop's heap and cancelled again, about 7 µs, on top of the probe's own (exact) timeout, for a
net that almost never catches anything. A :class:`Watchdog` instead files each attempt in a
bucket of its deadline's tick and sweeps the buckets from one timer, so a probe that overruns
is cancelled between ``timeout + GUARD_SLACK_S`` and one tick later.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from pulse_core.models import Endpoint, ProbeResult
from pulse_core.probe import Probe, ReportResult, report_all

GUARD_SLACK_S = 1.0
#: how often the watchdog looks for overrunning attempts
WATCHDOG_TICK_S = 0.25


@dataclass(slots=True, eq=False)
class Watch:
    """One attempt under the watchdog's eye."""

    #: the attempt's task; ``None`` once the attempt has ended, so a finished check's task,
    #: coroutine and frames are not kept alive until the watch's tick comes round
    task: asyncio.Task[object] | None
    #: the watchdog cancelled the attempt for overrunning
    expired: bool = False

    def end(self) -> None:
        self.task = None


class Watchdog:
    """Cancels probe attempts that outlive their guard time, all from one loop timer."""

    def __init__(self, loop: asyncio.AbstractEventLoop, tick_s: float = WATCHDOG_TICK_S) -> None:
        self._loop = loop
        self._tick_s = tick_s
        self._buckets: dict[int, list[Watch]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_tick = math.inf

    def watch(self, guard_s: float) -> Watch:
        """Watch the current task's attempt; cancel it if it has not ended in ``guard_s``."""
        watch = Watch(asyncio.current_task(self._loop))
        tick = math.ceil((self._loop.time() + guard_s) / self._tick_s)
        bucket = self._buckets.get(tick)
        if bucket is None:
            bucket = self._buckets[tick] = []
            if tick < self._timer_tick:
                self._arm(tick)
        bucket.append(watch)
        return watch

    def _arm(self, tick: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_tick = tick
        self._timer = self._loop.call_at(tick * self._tick_s, self._sweep)

    def _sweep(self) -> None:
        self._timer, self._timer_tick = None, math.inf
        now_tick = math.floor(self._loop.time() / self._tick_s)
        for tick in [tick for tick in self._buckets if tick <= now_tick]:
            for watch in self._buckets.pop(tick):
                if watch.task is not None:
                    watch.expired = True
                    watch.task.cancel()
        if self._buckets:
            self._arm(min(self._buckets))


#: the watchdog last handed out, with (a weak reference to) its loop: looked up every attempt,
#: where a WeakKeyDictionary would build a weak reference per lookup
_latest: tuple[weakref.ref[asyncio.AbstractEventLoop], Watchdog] | None = None


def watchdog() -> Watchdog:
    """The running loop's watchdog (one per loop: its timer belongs to that loop)."""
    global _latest
    loop = asyncio.get_running_loop()
    if _latest is None or _latest[0]() is not loop:
        _latest = (weakref.ref(loop), Watchdog(loop))
    return _latest[1]


async def run_probe(probe: Probe, endpoint: Endpoint) -> ProbeResult:
    """The first successful attempt, or the last failed one."""
    guard_s = endpoint.timeout_ms / 1000 + GUARD_SLACK_S
    guard = watchdog()
    task = asyncio.current_task()
    assert task is not None, "checks run in a task"
    result = ProbeResult.failure("not checked")
    for _ in range(endpoint.retries + 1):
        watch = guard.watch(guard_s)
        try:
            result = await probe.check(endpoint)
        except asyncio.CancelledError:
            if not watch.expired:
                raise  # cancelled from outside: the check is being stopped
            result = ProbeResult.failure(f"timeout after {endpoint.timeout_ms} ms")
        except Exception as exc:
            result = ProbeResult.failure(f"probe error: {exc}" if str(exc) else f"probe error: {exc!r}")
        finally:
            watch.end()
        if watch.expired and task.uncancel() > 0:
            raise asyncio.CancelledError  # cancelled from outside as well: stop
        if result.ok:
            break
    return result


async def run_probe_many(probe: Probe, endpoints: Sequence[Endpoint], report: ReportResult) -> None:
    """:func:`run_probe` for a batch, through :meth:`Probe.check_many`: each endpoint's first
    successful attempt or its last failed one is reported as soon as it is known (results
    the probe hands over together go on together, through ``report.many`` when ``report``
    has it); the endpoints that failed with retries left go again, together, once the
    attempt ended.

    The watchdog guards each attempt as a whole, by the longest timeout of the batch; an
    endpoint the probe did not report gets the failure :func:`run_probe` would give it
    (a timeout when the attempt overran, the error when the probe raised)."""
    guard_s = max(endpoint.timeout_ms for endpoint in endpoints) / 1000 + GUARD_SLACK_S
    guard = watchdog()
    task = asyncio.current_task()
    assert task is not None, "checks run in a task"
    trying = list(range(len(endpoints)))
    attempt = 0
    while trying:
        take = _Attempt(endpoints, trying, attempt, report)
        watch = guard.watch(guard_s)
        failure: ProbeResult | None = None
        try:
            await probe.check_many([endpoints[index] for index in trying], take)
        except asyncio.CancelledError:
            if not watch.expired:
                raise  # cancelled from outside: the checks are being stopped
        except Exception as exc:
            failure = ProbeResult.failure(
                f"probe error: {exc}" if str(exc) else f"probe error: {exc!r}"
            )
        finally:
            watch.end()
        if watch.expired and task.uncancel() > 0:
            raise asyncio.CancelledError  # cancelled from outside as well: stop
        for position, done in enumerate(take.reported):
            if done:
                continue
            if watch.expired:
                timeout_ms = endpoints[trying[position]].timeout_ms
                failure = ProbeResult.failure(f"timeout after {timeout_ms} ms")
            take(position, failure or ProbeResult.failure("probe error: no result"))
        trying, attempt = sorted(take.again), attempt + 1


class _Attempt:
    """The ``report`` one attempt of :func:`run_probe_many` hands the probe: the first result
    of each position counts (a probe that reports twice is ignored the second time); a final
    one goes on to the batch's ``report``, a failure with retries left waits for the next
    attempt. ``many`` takes a burst of results in one call and hands its final ones on in
    one call too."""

    __slots__ = ("again", "attempt", "endpoints", "report", "reported", "trying")

    def __init__(
        self, endpoints: Sequence[Endpoint], trying: list[int], attempt: int, report: ReportResult
    ) -> None:
        self.endpoints = endpoints
        #: the batch's index of each position of this attempt
        self.trying = trying
        self.attempt = attempt
        self.report = report
        self.reported = bytearray(len(trying))
        #: the indexes to try again
        self.again: list[int] = []

    def __call__(self, position: int, result: ProbeResult) -> None:
        self.many((position,), (result,))

    def many(self, positions: Sequence[int], results: Sequence[ProbeResult]) -> None:
        reported, trying, endpoints, attempt = (
            self.reported, self.trying, self.endpoints, self.attempt
        )
        indexes: list[int] = []
        final: list[ProbeResult] = []
        for position, result in zip(positions, results):
            if reported[position]:
                continue
            reported[position] = 1
            index = trying[position]
            if result.ok or attempt >= endpoints[index].retries:
                indexes.append(index)
                final.append(result)
            else:
                self.again.append(index)
        if indexes:
            report_all(self.report, indexes, final)
