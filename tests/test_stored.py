"""The stored stream: every stored batch reaches its subscribers in order, local and remote
batches go where each subscriber decides, and a stop waits for what was started."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from pulse_core import hookimpl
from pulse_core.app import started
from pulse_core.models import CheckResult, CheckStatus, Endpoint, Outage, State, StatusChange
from pulse_core.stored import StoredBatch, StoredStream
from pulse_core.testing.listeners import free_tcp_port

PLC = Endpoint(id="plc", name="PLC", group_id="g", type="tcp", host="127.0.0.1", port=1)


def check(ts: float, endpoint_id: str = "plc") -> CheckResult:
    return CheckResult(endpoint_id, ts, CheckStatus.UP, 1.0, None)


def went_down(ts: float, endpoint_id: str = "plc") -> StatusChange:
    outage = Outage(endpoint_id, ts, None, "refused")
    return StatusChange(endpoint_id, ts, State.DOWN, State.UP, None, "refused", outage)


async def test_each_subscriber_hears_the_batches_in_the_order_they_were_stored() -> None:
    stream = StoredStream({PLC.id: PLC}.get)
    at_once: list[float] = []
    in_order: list[float] = []
    side_by_side: list[float] = []
    third_handled = asyncio.Event()

    async def ordered(batch: StoredBatch) -> None:
        if batch.checks[0].ts == 1:
            await third_handled.wait()  # the first batch takes longest
        in_order.append(batch.checks[0].ts)

    async def unordered(batch: StoredBatch) -> None:
        if batch.checks[0].ts == 1:
            await third_handled.wait()
        side_by_side.append(batch.checks[0].ts)
        if batch.checks[0].ts == 3:
            third_handled.set()

    stream.subscribe(lambda batch: at_once.append(batch.checks[0].ts))
    stream.subscribe_in_tasks(ordered, in_order=True)
    stream.subscribe_in_tasks(unordered, in_order=False)
    for ts in (1.0, 2.0, 3.0):
        stream.written([check(ts)], ())
    assert at_once == [1, 2, 3]  # called while the writer hands the batch on
    await stream.drain()
    assert in_order == [1, 2, 3], "each batch waits for the previous one"
    assert side_by_side == [2, 3, 1], "a slow batch holds up no other"


async def test_changes_of_endpoints_no_longer_configured_are_left_out() -> None:
    stream = StoredStream({PLC.id: PLC}.get)
    heard: list[StoredBatch] = []
    stream.subscribe(heard.append)
    stream.written([], [went_down(1.0, "removed")])  # nothing left: nothing handed on
    stream.written([check(2.0, "removed")], [went_down(2.0, "removed"), went_down(2.0)])
    assert heard == [StoredBatch([check(2.0, "removed")], [(went_down(2.0), PLC)], False)]


async def test_a_failing_subscriber_keeps_no_batch_from_the_others_nor_later_ones() -> None:
    stream = StoredStream({PLC.id: PLC}.get)
    heard: list[float] = []
    handled: list[float] = []

    def failing(batch: StoredBatch) -> None:
        raise RuntimeError("subscriber exploded")

    async def failing_on_the_first(batch: StoredBatch) -> None:
        if batch.checks[0].ts == 1:
            raise RuntimeError("handler exploded")
        handled.append(batch.checks[0].ts)

    stream.subscribe(failing)
    stream.subscribe_in_tasks(failing_on_the_first, in_order=True)
    stream.subscribe(lambda batch: heard.append(batch.checks[0].ts))
    stream.written([check(1.0)], ())
    stream.written([check(2.0)], ())
    await stream.drain()
    assert heard == [1, 2]
    assert handled == [2]


def pulse_config(tmp_path: Path) -> Path:
    """One endpoint that is never checked while the test runs (an interval of an hour, its
    first check spread over it would still come too soon: it is disabled)."""
    path = tmp_path / "pulse.yaml"
    path.write_text(
        "version: 1\n"
        "groups: [{id: plant, name: Plant}]\n"
        "targets:\n"
        "  - {type: tcp, host: 127.0.0.1, port: 1, group: plant, name: PLC, enabled: false}\n"
        f"server: {{host: 127.0.0.1, port: {free_tcp_port()}}}\n"
        f"storage: {{url: 'sqlite:///{tmp_path / 'pulse.db'}'}}\n"
    )
    return path


class Recorder:
    """A plugin that records what the hooks hand it; its status hook takes its time, so a
    stop that did not wait for it would leave it unrecorded."""

    def __init__(self) -> None:
        self.checks: list[CheckResult] = []
        self.changes: list[StatusChange] = []

    @hookimpl
    async def pulse_checks_stored(self, app: object, checks: Sequence[CheckResult]) -> None:
        self.checks.extend(checks)

    @hookimpl
    async def pulse_status_changed(
        self, app: object, change: StatusChange, endpoint: Endpoint
    ) -> None:
        await asyncio.sleep(0.2)
        self.changes.append(change)


async def test_remote_changes_go_to_live_clients_but_not_to_the_hooks_nor_the_alert_rules(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    async with started(pulse_config(tmp_path)) as pulse:
        endpoint_id = pulse.config.endpoints[0].id
        pulse.plugins.register(recorder, "test-recorder")
        with pulse.status_changes(queue_size=8) as live:
            remote, local = went_down(1000.0, endpoint_id), went_down(2000.0, endpoint_id)
            pulse.stream.heard([check(999.0, endpoint_id)], [remote])
            assert (await live.next()).payload == remote
            await pulse.stream.drain()
            assert recorder.checks == [] and recorder.changes == []
            assert endpoint_id not in await pulse.store.announced_up_to()

            pulse.stream.written([check(1999.0, endpoint_id)], [local])
            assert (await live.next()).payload == local
            await pulse.stream.drain()
            assert recorder.checks == [check(1999.0, endpoint_id)]
            assert (await pulse.store.announced_up_to())[endpoint_id] == 2000.0
            pulse.stream.written([], [went_down(3000.0, endpoint_id)])
    # the stop waited for the hook still sleeping on the last change
    assert [change.ts for change in recorder.changes] == [2000.0, 3000.0]


def test_the_log_counts_first_ups_of_a_large_batch_and_names_every_other_change() -> None:
    from pulse_core.app import FIRST_UPS_NAMED, change_lines
    from pulse_core.models import Endpoint, State, StatusChange

    def change(name: str, state: State, previous: State, error: str | None = None):  # type: ignore[no-untyped-def]
        endpoint = Endpoint(name, name, "g", "tcp", "127.0.0.1", 502)
        return StatusChange(name, 0.0, state, previous, error=error), endpoint

    few = [change(f"PLC {n}", State.UP, State.UNKNOWN) for n in range(FIRST_UPS_NAMED)]
    assert change_lines(few) == [f"PLC {n} is up (was unknown)" for n in range(FIRST_UPS_NAMED)]
    many = [change(f"PLC {n}", State.UP, State.UNKNOWN) for n in range(500)]
    others = [
        change("HMI", State.DOWN, State.UNKNOWN, "connection refused"),
        change("Router", State.UP, State.DOWN),
    ]
    assert change_lines([*many, *others]) == [
        "HMI is down (was unknown): connection refused",
        "Router is up (was down)",
        "500 endpoints are up at their first checks",
    ]
