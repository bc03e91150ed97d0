"""Scheduler.reschedule: a new configuration moves only the endpoints that changed.

Real time with short intervals; the due times a check receives are exact (they come from
the schedule, not the clock), so phases are compared exactly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import defaultdict

from pulse_core.engine.scheduler import FIRST_ROUND_MARGIN, Scheduler, scheduled_time
from pulse_core.models import Endpoint


def endpoint(name: str, interval_s: float = 0.5, **changes: object) -> Endpoint:
    base = Endpoint(id=name, name=name, group_id="g", type="tcp", host="127.0.0.1", port=1,
                    interval_s=interval_s)
    return dataclasses.replace(base, **changes)


class Recorder:
    """A check that remembers, per endpoint, each due time and the settings it ran with."""

    def __init__(self) -> None:
        self.dues: dict[str, list[float]] = defaultdict(list)
        self.seen: dict[str, list[Endpoint]] = defaultdict(list)

    async def __call__(self, checked: Endpoint, due: float) -> None:
        self.dues[checked.id].append(due)
        self.seen[checked.id].append(checked)


async def run_for(scheduler: Scheduler, seconds: float) -> None:
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_unchanged_endpoints_keep_their_phase_and_get_new_settings() -> None:
    recorder = Recorder()
    scheduler = Scheduler(recorder)
    start = 1_000.0  # a fixed origin in the past: every due time is start + k * 0.5
    steady, renamed = endpoint("steady"), endpoint("renamed")
    scheduler.schedule([steady, renamed], now=start)
    scheduler.reschedule([steady, dataclasses.replace(renamed, name="new name", timeout_ms=900)])
    await run_for(scheduler, 0.3)
    # Both first checks ran at the due times of the original schedule, not at fresh phases
    # counted from the moment of reschedule.
    assert recorder.dues["steady"][0] == start
    assert recorder.dues["renamed"][0] == scheduled_time(start + (0.5 - 0.5 * FIRST_ROUND_MARGIN) / 2)
    assert recorder.seen["renamed"][0].name == "new name"
    assert recorder.seen["renamed"][0].timeout_ms == 900


async def test_phase_kept_across_reschedule_in_real_time() -> None:
    recorder = Recorder()
    scheduler = Scheduler(recorder)
    steady = endpoint("steady", interval_s=0.4)
    scheduler.schedule([steady])
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.5)
    scheduler.reschedule([steady, endpoint("newcomer", interval_s=0.4)])
    await asyncio.sleep(0.9)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    dues = recorder.dues["steady"]
    assert [round(later - earlier, 6) for earlier, later in zip(dues, dues[1:])] == [
        0.4
    ] * (len(dues) - 1), dues
    assert len(dues) >= 3
    assert recorder.dues["newcomer"], "a new endpoint is checked"


async def test_removed_endpoints_stop_and_changed_intervals_restart() -> None:
    recorder = Recorder()
    scheduler = Scheduler(recorder)
    gone, slower = endpoint("gone", 0.2), endpoint("slower", 0.2)
    scheduler.schedule([gone, slower])
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.3)
    rescheduled_at = time.time()
    scheduler.reschedule([dataclasses.replace(slower, interval_s=1.0)], now=rescheduled_at)
    await asyncio.sleep(0.1)  # a check already dispatched may still finish
    checks_of_gone = len(recorder.dues["gone"])
    checks_of_slower = len(recorder.dues["slower"])
    await asyncio.sleep(0.6)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(recorder.dues["gone"]) == checks_of_gone
    # checked at once with its new interval, and not again before a second has passed
    assert recorder.dues["slower"][-1] == scheduled_time(rescheduled_at)
    assert recorder.seen["slower"][-1].interval_s == 1.0
    assert len(recorder.dues["slower"]) == checks_of_slower


async def test_disabling_stops_checks_and_enabling_resumes_them() -> None:
    recorder = Recorder()
    scheduler = Scheduler(recorder)
    switch = endpoint("switch", 0.2)
    scheduler.schedule([switch])
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.1)
    scheduler.reschedule([dataclasses.replace(switch, enabled=False)])
    await asyncio.sleep(0.05)
    while_disabled = len(recorder.dues["switch"])
    await asyncio.sleep(0.4)
    assert len(recorder.dues["switch"]) == while_disabled
    scheduler.reschedule([switch])
    await asyncio.sleep(0.1)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(recorder.dues["switch"]) == while_disabled + 1


async def test_a_check_in_flight_at_a_reschedule_queues_a_next_run_only_if_kept() -> None:
    release = asyncio.Event()
    dues: dict[str, list[float]] = defaultdict(list)

    async def check(checked: Endpoint, due: float) -> None:
        dues[checked.id].append(due)
        if len(dues[checked.id]) == 1:
            await release.wait()  # the first checks are in flight at the reschedule

    scheduler = Scheduler(check)
    kept, moved = endpoint("kept", 0.5), endpoint("moved", 0.5)
    scheduler.schedule([kept, moved])
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.35)  # "moved" is due at 0.225 s
    assert len(dues["kept"]) == len(dues["moved"]) == 1
    rescheduled_at = time.time()
    scheduler.reschedule([kept, dataclasses.replace(moved, interval_s=2.0)], now=rescheduled_at)
    release.set()
    await asyncio.sleep(0.9)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    # "moved" runs where it was placed anew, and its check in flight queued nothing more.
    assert dues["moved"][1:] == [scheduled_time(rescheduled_at)]
    # "kept" went on at its phase once its check in flight ended.
    kept_dues = dues["kept"]
    assert len(kept_dues) >= 2
    assert [round(later - earlier, 6) for earlier, later in zip(kept_dues, kept_dues[1:])] == [
        0.5
    ] * (len(kept_dues) - 1)
