"""Checks in batches: a probe that overrides ``check_many`` gets the endpoints of its type due
in the same tick in one call, and every result goes through the same rules as a check of its
own (retries, the guard, the state machine, topology)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pulse_store_sql import SqlStore

from pulse_core.dependencies import Dependencies
from pulse_core.engine.checks import run_probe_many
from pulse_core.engine.monitor import Monitor
from pulse_core.engine.scheduler import Scheduler
from pulse_core.engine.writer import StoreWriter
from pulse_core.models import Endpoint, ProbeResult, State
from pulse_core.probe import Probe, ReportResult, report_all


def endpoint(name: str, type_name: str = "batch", **settings: object) -> Endpoint:
    """An endpoint of ``type_name``, without retries unless ``settings`` give some."""
    settings = {"retries": 0, **settings}
    return Endpoint(name, name, "g", type_name, "127.0.0.1", **settings)  # type: ignore[arg-type]


class BatchProbe(Probe):
    """Answers each host from ``answers`` (up unless it says otherwise), recording the
    endpoints of every call; ``failing_once`` hosts fail their first attempt only."""

    type_name = "batch"

    def __init__(self, down: Sequence[str] = (), failing_once: Sequence[str] = ()) -> None:
        super().__init__()
        self.down = set(down)
        self.failing_once = set(failing_once)
        self.calls: list[list[str]] = []

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        if endpoint.id in self.down:
            return ProbeResult.failure("timeout after 100 ms")
        if endpoint.id in self.failing_once:
            self.failing_once.discard(endpoint.id)
            return ProbeResult.failure("no answer")
        return ProbeResult.success(1.0)

    async def check_many(self, endpoints: Sequence[Endpoint], report: ReportResult) -> None:
        self.calls.append([endpoint.id for endpoint in endpoints])
        for index, endpoint in enumerate(endpoints):
            report(index, await self.check(endpoint))


class SingleProbe(BatchProbe):
    """Checks one endpoint at a time (the default ``check_many``)."""

    type_name = "single"
    check_many = Probe.check_many


class RaisingProbe(BatchProbe):
    """Reports its first endpoint, then raises."""

    async def check_many(self, endpoints: Sequence[Endpoint], report: ReportResult) -> None:
        report(0, ProbeResult.success(1.0))
        raise OSError("socket closed")


class StallingProbe(BatchProbe):
    """Reports its first endpoint, then never returns."""

    async def check_many(self, endpoints: Sequence[Endpoint], report: ReportResult) -> None:
        report(0, ProbeResult.success(1.0))
        await asyncio.Event().wait()


async def run_batch(probe: Probe, endpoints: Sequence[Endpoint]) -> dict[str, list[ProbeResult]]:
    reported: dict[str, list[ProbeResult]] = {}
    await run_probe_many(
        probe, endpoints,
        lambda index, result: reported.setdefault(endpoints[index].id, []).append(result),
    )
    return reported


def test_only_a_probe_that_overrides_check_many_checks_in_batches() -> None:
    class PlainProbe(Probe):
        type_name = "plain"

        async def check(self, endpoint: Endpoint) -> ProbeResult:
            return ProbeResult.success(1.0)

    assert BatchProbe.checks_in_batches()
    assert not PlainProbe.checks_in_batches()


async def test_the_failed_endpoints_of_a_batch_are_retried_together() -> None:
    probe = BatchProbe(down=["down"], failing_once=["flaky"])
    endpoints = [endpoint(name, retries=1) for name in ("up", "flaky", "down")]
    reported = await run_batch(probe, endpoints)
    assert probe.calls == [["up", "flaky", "down"], ["flaky", "down"]]
    assert {name: [r.ok for r in results] for name, results in reported.items()} == {
        "up": [True], "flaky": [True], "down": [False],
    }
    assert reported["down"][0].error == "timeout after 100 ms"


async def test_retries_follow_each_endpoint_s_own_setting() -> None:
    probe = BatchProbe(down=["none", "two"])
    reported = await run_batch(probe, [endpoint("none"), endpoint("two", retries=2)])
    assert probe.calls == [["none", "two"], ["two"], ["two"]]
    assert [len(results) for results in reported.values()] == [1, 1]


async def test_endpoints_a_raising_probe_did_not_report_fail_with_its_error() -> None:
    reported = await run_batch(RaisingProbe(), [endpoint("first"), endpoint("second")])
    assert reported["first"][0].ok
    assert reported["second"][0].error == "probe error: socket closed"


async def test_a_batch_that_overruns_its_timeout_is_stopped_by_the_guard() -> None:
    endpoints = [endpoint("first", timeout_ms=50), endpoint("second", timeout_ms=50)]
    reported = await asyncio.wait_for(run_batch(StallingProbe(), endpoints), 10)
    assert reported["first"][0].ok
    assert reported["second"][0].error == "timeout after 50 ms"


async def test_the_scheduler_hands_a_tick_s_batching_endpoints_over_in_one_call(
    tmp_path: Path,
) -> None:
    """Batching types go to ``run_batch`` in one call per tick and type, the others to
    ``run_check`` one by one; either kind is queued again for its next interval."""
    monitor = Monitor({"batch": BatchProbe(), "single": SingleProbe()}, _writer(tmp_path))
    # about ten endpoints a 10 ms tick: spread over 0.9 s of a 1 s interval
    batching = [endpoint(f"b{index}", interval_s=1.0) for index in range(900)]
    single = [endpoint(f"s{index}", "single", interval_s=1.0) for index in range(100)]
    monitor.set_endpoints([*batching, *single])
    batches: list[list[Endpoint]] = []
    singles: list[Endpoint] = []

    class Recorder:
        def batches(self, type_name: str) -> bool:
            return monitor.batches(type_name)

        async def run_batch(
            self,
            endpoints: Sequence[Endpoint],
            due: float,
            finished: Callable[[Sequence[int]], None],
        ) -> None:
            batches.append(list(endpoints))
            await monitor.run_batch(endpoints, due, finished)

    async def run_check(endpoint: Endpoint, due: float) -> None:
        singles.append(endpoint)
        await monitor.run_check(endpoint, due)

    scheduler = Scheduler(run_check, batches=Recorder())
    scheduler.schedule([*batching, *single])
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(1.5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert all(e.type == "batch" for batch in batches for e in batch)
    assert all(e.type == "single" for e in singles)
    first_round = [e for batch in batches for e in batch][: len(batching)]
    assert len({e.id for e in first_round}) == len(batching)  # each once in the first round
    assert len(batches) < len(batching) / 3  # several endpoints a call
    assert all(monitor.states[e.id].checks_seen >= 1 for e in [*batching, *single])
    # the first fifth was due again within the run: checked twice
    assert all(monitor.states[e.id].checks_seen >= 2 for e in batching[: len(batching) // 5])


class OneSlowProbe(BatchProbe):
    """Answers ``quick`` at once and ``slow`` after ``delay_s``, in one batch."""

    delay_s = 1.5

    async def check_many(self, endpoints: Sequence[Endpoint], report: ReportResult) -> None:
        for index, endpoint in enumerate(endpoints):
            if endpoint.id != "slow":
                report(index, ProbeResult.success(1.0))
        await asyncio.sleep(self.delay_s)
        for index, endpoint in enumerate(endpoints):
            if endpoint.id == "slow":
                report(index, ProbeResult.success(self.delay_s * 1000))


async def test_an_endpoint_of_a_batch_runs_again_when_its_own_check_is_over(
    tmp_path: Path,
) -> None:
    """Its next run is not held until the slowest endpoint of its batch is done."""
    quick = endpoint("quick", interval_s=0.3)
    slow = endpoint("slow", interval_s=0.3)
    monitor = Monitor({"batch": OneSlowProbe()}, _writer(tmp_path))
    monitor.set_endpoints([quick, slow])
    scheduler = Scheduler(monitor.run_check, batches=monitor)
    scheduler.schedule([quick, slow], now=time.time() - 1.0)  # both in the first dispatch
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(1.2)  # within the slow one's first check
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert monitor.states["slow"].checks_seen == 0
    assert monitor.states["quick"].checks_seen >= 2


async def test_a_batch_goes_through_topology_as_single_checks_do(tmp_path: Path) -> None:
    """A switch and a PLC behind it, both failing in the same batch (the PLC reported
    first): the switch goes offline, the PLC unreachable behind it, with no outage of its
    own, as when they are checked one by one."""
    plc, switch = endpoint("plc"), endpoint("switch")
    outcomes = {}
    for batched in (True, False):
        monitor = Monitor({"batch": BatchProbe(down=["plc", "switch"])}, _writer(tmp_path))
        monitor.set_endpoints([plc, switch], Dependencies({"plc": ("switch",)}))
        for _ in range(2):  # failure_threshold
            if batched:
                await monitor.run_batch([plc, switch], time.time())
            else:
                await monitor.run_check(plc, time.time())
                await monitor.run_check(switch, time.time())
        outcomes[batched] = {
            name: (monitor.states[name].state, monitor.states[name].cause,
                   monitor.states[name].open_outage is not None)
            for name in ("plc", "switch")
        }
    assert outcomes[True] == outcomes[False] == {
        "plc": (State.UNREACHABLE, "switch", False),
        "switch": (State.DOWN, None, True),
    }


def _writer(tmp_path: Path) -> StoreWriter:
    """A writer that is never run: the monitor only queues into it here."""
    return StoreWriter(SqlStore(f"sqlite:///{tmp_path / 'pulse.db'}"), _ignore)


def _ignore(*stored: object) -> None:
    del stored


class BurstProbe(BatchProbe):
    """Reports every endpoint of an attempt in one call (``report_all``), as the ICMP probe
    reports a burst of replies."""

    async def check_many(self, endpoints: Sequence[Endpoint], report: ReportResult) -> None:
        self.calls.append([endpoint.id for endpoint in endpoints])
        results = [await self.check(endpoint) for endpoint in endpoints]
        report_all(report, range(len(endpoints)), results)


async def test_a_burst_is_taken_in_as_the_same_results_reported_one_by_one(
    tmp_path: Path,
) -> None:
    """Same states, same checks queued for the store, same endpoints finished, retries
    included; the burst reaches the scheduler in one call per attempt."""
    taken = {}
    for probe in (BatchProbe(down=["down"], failing_once=["flaky"]),
                  BurstProbe(down=["down"], failing_once=["flaky"])):  # fmt: skip
        endpoints = [endpoint(name, retries=1) for name in ("up", "flaky", "down")]
        monitor = Monitor({"batch": probe}, writer := _writer(tmp_path))
        monitor.set_endpoints(endpoints)
        finished: list[list[int]] = []
        await monitor.run_batch(
            endpoints, time.time(), lambda indexes: finished.append(list(indexes))
        )
        states = {
            name: (monitor.states[name].checks_up, monitor.states[name].checks_down,
                   monitor.states[name].last_error)
            for name in ("up", "flaky", "down")
        }  # fmt: skip
        taken[type(probe)] = (probe.calls, states, writer.pending, sorted(sum(finished, [])))
        if type(probe) is BurstProbe:
            assert finished == [[0], [1, 2]]
    assert taken[BatchProbe] == taken[BurstProbe]
    assert taken[BurstProbe][1]["down"] == (0, 1, "timeout after 100 ms")
