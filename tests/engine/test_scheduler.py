"""The scheduler: spread start, start-to-start intervals, bounded concurrency, no overlap.

Real time with short intervals; the assertions leave wide margins so a busy machine does
not make them fail.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import pytest

from pulse_core.engine.scheduler import LagHistogram, Scheduler, scheduled_time
from pulse_core.models import Endpoint


def endpoints(count: int, interval_s: float) -> list[Endpoint]:
    return [
        Endpoint(id=f"ep{i}", name=f"ep{i}", group_id="g", type="tcp", host="127.0.0.1",
                 port=1, interval_s=interval_s)
        for i in range(count)
    ]


async def run_for(scheduler: Scheduler, seconds: float) -> None:
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_endpoints_are_spread_over_their_first_interval() -> None:
    starts: dict[str, list[float]] = defaultdict(list)

    async def check(endpoint: Endpoint, due: float) -> None:
        starts[endpoint.id].append(time.time())

    scheduler = Scheduler(check)
    begin = time.time()
    scheduler.schedule(endpoints(40, interval_s=2.0), now=begin)
    await run_for(scheduler, 1.0)
    started = sorted(t - begin for runs in starts.values() for t in runs)
    # half of the interval has passed: about half of the endpoints have had their first check
    assert 12 <= len(started) <= 28, started
    assert all(len(runs) == 1 for runs in starts.values())
    await run_for(scheduler, 1.2)
    assert len(starts) == 40  # everyone checked within the first interval (plus slack)


async def test_a_first_round_leaves_the_end_of_the_interval_free() -> None:
    """So that the last first check, started a little late, is still within its interval."""
    dues: list[float] = []

    async def check(endpoint: Endpoint, due: float) -> None:
        dues.append(due)

    scheduler = Scheduler(check)
    begin = time.time() - 9.5  # every first check is due already, no second one yet
    scheduler.schedule(endpoints(100, interval_s=10.0), now=begin)
    await run_for(scheduler, 0.1)
    assert len(dues) == 100
    assert min(dues) == scheduled_time(begin)
    assert max(dues) == scheduled_time(begin + 99 * (10.0 - 1.0) / 100)  # the last second is free


async def test_intervals_run_start_to_start() -> None:
    runs: list[float] = []

    async def slow_check(endpoint: Endpoint, due: float) -> None:
        runs.append(due)
        await asyncio.sleep(0.15)

    scheduler = Scheduler(slow_check)
    scheduler.schedule(endpoints(1, interval_s=0.25))
    await run_for(scheduler, 1.6)
    # start-to-start gives 7 runs in 1.6 s; end-to-start (0.4 s apart) would give only 4
    assert len(runs) >= 6
    gaps = {round(b - a, 3) for a, b in zip(runs, runs[1:])}
    assert gaps == {0.25}  # due times advance by exactly one interval: no drift


async def test_an_endpoint_is_never_checked_twice_at_once_and_missed_runs_are_counted() -> None:
    running: set[str] = set()
    overlaps = 0

    async def overlong_check(endpoint: Endpoint, due: float) -> None:
        nonlocal overlaps
        overlaps += endpoint.id in running
        running.add(endpoint.id)
        await asyncio.sleep(0.5)
        running.discard(endpoint.id)

    scheduler = Scheduler(overlong_check)
    scheduler.schedule(endpoints(3, interval_s=0.1))
    await run_for(scheduler, 1.3)
    assert overlaps == 0
    assert scheduler.stats.missed > 0


async def test_concurrency_is_bounded_and_waiting_shows_as_lag() -> None:
    in_flight = peak = 0

    async def check(endpoint: Endpoint, due: float) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.2)
        in_flight -= 1

    scheduler = Scheduler(check, max_concurrency=3)
    scheduler.schedule(endpoints(12, interval_s=0.3))
    await run_for(scheduler, 1.0)
    assert peak == 3
    assert scheduler.stats.max_lag_s > 0.1


async def test_a_failing_check_does_not_stop_the_schedule() -> None:
    calls = 0

    async def failing(endpoint: Endpoint, due: float) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("probe bug")

    scheduler = Scheduler(failing)
    scheduler.schedule(endpoints(1, interval_s=0.1))
    await run_for(scheduler, 0.55)
    assert calls >= 4


def test_lag_percentiles_come_from_buckets_fine_where_the_goals_are() -> None:
    histogram = LagHistogram()
    assert histogram.quantile(0.99) == 0.0
    for lag_ms in [0.05] * 50 + [3.26] * 49 + [250.4]:
        histogram.add(lag_ms / 1000)
    assert histogram.quantile(0.50) == 0.0001  # the 0.0-0.1 ms bucket
    assert histogram.quantile(0.99) == 0.0033  # to a tenth of a millisecond under 100 ms
    assert histogram.quantile(1.0) == 0.251  # to the millisecond under a second
    histogram.add(-0.001)  # a clock step: counted as no lag
    histogram.add(3600.0)
    assert histogram.quantile(1.0) == float("inf")


def test_lag_percentiles_of_a_window() -> None:
    """``since`` gives the lags added after a copy: the steady state's, without start-up's."""
    lags = LagHistogram()
    lags.add(2.0, count=50)  # start-up
    before = lags.copy()
    lags.add(0.004, count=99)
    lags.add(0.05)
    window = lags.since(before)
    assert window.count == 100 and lags.count == 150
    assert window.quantile(0.99) == pytest.approx(0.0041)
    assert window.quantile(1.0) == pytest.approx(0.0501)
    assert lags.quantile(0.99) > 1.0
