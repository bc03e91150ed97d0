"""A node taking over an endpoint goes on from what the store knows: the damping count
carries over, a threshold the stored checks reached is recorded once, nothing is repeated."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from pulse_core.app import build_store, load_plugins
from pulse_core.cluster.takeover import take_over
from pulse_core.engine.monitor import Monitor
from pulse_core.engine.writer import StoreWriter
from pulse_core.models import (
    CheckResult,
    CheckStatus,
    Endpoint,
    EndpointSnapshot,
    Group,
    Outage,
    State,
    StatusChange,
)
from pulse_core.store import Store

pytestmark = pytest.mark.asyncio

PLC = Endpoint("plc", "PLC", "plant", "tcp", "127.0.0.1", 502, interval_s=2.0,
               failure_threshold=3, success_threshold=1)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = build_store(f"sqlite:///{tmp_path / 'pulse.db'}", load_plugins())
    await opened.open()
    await opened.sync_catalog([Group("plant", "Plant")], [PLC])
    yield opened
    await opened.close()


def checks(start: float, *outcomes: bool) -> list[CheckResult]:
    return [
        CheckResult(PLC.id, start + 2 * index, CheckStatus.UP if up else CheckStatus.DOWN,
                    1.0 if up else None, None if up else "connection refused")
        for index, up in enumerate(outcomes)
    ]


async def new_owner(store: Store, now: float) -> tuple[Monitor, list[StatusChange]]:
    """A node whose copy of the endpoint saw nothing of the old owner's last checks."""
    recorded: list[StatusChange] = []

    def stored(checks: object, changes: Sequence[StatusChange]) -> None:
        recorded.extend(changes)

    writer = StoreWriter(store, stored)
    monitor = Monitor({}, writer)
    monitor.set_endpoints([PLC])
    monitor.restore(await store.load_snapshots(), now, record_gaps=False)
    await take_over(store, monitor, writer, [PLC], now, grace_s=4.0)
    await writer.flush()
    return monitor, recorded


async def test_two_failures_of_three_stay_two_and_the_third_makes_it_offline(store: Store) -> None:
    now = float(int(time.time()))  # the store keeps milliseconds
    up_since = now - 20
    await store.write_checks(checks(up_since, True, True, True, True, True, False, False))
    await store.write_snapshots([EndpointSnapshot(PLC.id, State.UP, up_since, now - 8)])
    monitor, recorded = await new_owner(store, now)
    assert recorded == []
    state = monitor.states[PLC.id]
    assert state.state is State.UP
    change = state.observe(checks(now, False)[0])
    assert change is not None and change.state is State.DOWN
    assert change.outage is not None and change.outage.started_ts == up_since + 10


async def test_a_threshold_the_old_owner_reached_but_never_recorded_is_recorded_once(
    store: Store,
) -> None:
    now = float(int(time.time()))  # the store keeps milliseconds
    up_since = now - 20
    await store.write_checks(checks(up_since, True, True, True, True, False, False, False))
    await store.write_snapshots([EndpointSnapshot(PLC.id, State.UP, up_since, now - 8)])
    monitor, recorded = await new_owner(store, now)
    assert [(change.state, change.ts) for change in recorded] == [(State.DOWN, up_since + 12)]
    assert monitor.states[PLC.id].state is State.DOWN
    again, recorded_again = await new_owner(store, now)
    assert recorded_again == [], "taken over a second time, the change is not recorded again"
    assert again.states[PLC.id].state is State.DOWN


async def test_a_copy_restored_at_start_up_does_not_replay_what_came_before_the_state(
    store: Store,
) -> None:
    """A node that has just started took in no check: the stored checks from before the
    endpoint's current outage must not bring it back online for a moment."""
    now = float(int(time.time()))
    down_since = now - 8
    await store.write_checks(checks(now - 16, True, True, True, True, False, False, False))
    await store.write_outages([Outage(PLC.id, down_since)])
    await store.write_snapshots(
        [EndpointSnapshot(PLC.id, State.DOWN, down_since, now - 4, Outage(PLC.id, down_since))]
    )
    monitor, recorded = await new_owner(store, now)
    assert recorded == []
    assert monitor.states[PLC.id].state is State.DOWN
