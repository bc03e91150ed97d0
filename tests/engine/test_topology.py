"""Unreachable behind an offline parent: the verdict and the state rules (docs/topology.md),
with plain timestamps on a state table."""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from pulse_store_sql import SqlStore

from pulse_core.dependencies import Dependencies
from pulse_core.engine import topology
from pulse_core.engine.monitor import Monitor
from pulse_core.engine.state_table import StateTable
from pulse_core.engine.writer import StoreWriter
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

UP, DOWN = CheckStatus.UP, CheckStatus.DOWN


def _endpoint(endpoint_id: str) -> Endpoint:
    return Endpoint(endpoint_id, endpoint_id, "plant", "tcp", "127.0.0.1", 502, interval_s=10.0)


class Site:
    """A state table and its dependencies, fed checks the way the monitor feeds them."""

    def __init__(self, parents: dict[str, tuple[str, ...]], any_of: frozenset[str] = frozenset()):
        names = dict.fromkeys([*parents, *(p for ps in parents.values() for p in ps)])
        self.states = StateTable([_endpoint(name) for name in names])
        self.dependencies = Dependencies(parents, any_of)

    def check(self, endpoint_id: str, status: CheckStatus, ts: float) -> list[StatusChange]:
        state = self.states[endpoint_id]
        judge = None
        if endpoint_id in self.dependencies.parents:
            judge = partial(topology.verdict, self.dependencies, self.states, endpoint_id)
        error = None if status is UP else "connection refused"
        change = state.observe(CheckResult(endpoint_id, ts, status, None, error), judge)
        changes = [] if change is None else [change]
        for change in list(changes):
            changes += self._behind(change)
        return changes

    def _behind(self, change: StatusChange) -> list[StatusChange]:
        found: list[StatusChange] = []
        if change.state in (State.DOWN, State.UNREACHABLE):
            for child, verdict in topology.cut_off_behind(
                self.dependencies, self.states, change.endpoint_id
            ):
                assert verdict.cause is not None
                cut = child.cut_off(verdict.cause)
                found += [cut, *self._behind(cut)]
        return found

    def state(self, endpoint_id: str) -> State:
        return self.states[endpoint_id].state


def _up(site: Site, *names: str, at: float = 0.0) -> None:
    for ts in (at, at + 10):
        for name in names:
            site.check(name, UP, ts)


def test_a_child_failing_behind_an_offline_parent_is_unreachable_with_no_outage() -> None:
    site = Site({"plc": ("switch",)})
    _up(site, "switch", "plc")
    site.check("switch", DOWN, 100)
    (switch_down,) = site.check("switch", DOWN, 110)
    assert switch_down.state is State.DOWN
    assert site.check("plc", DOWN, 111) == []
    (plc,) = site.check("plc", DOWN, 121)
    assert (plc.state, plc.previous, plc.cause, plc.outage) == (
        State.UNREACHABLE, State.UP, "switch", None
    )
    status = site.states["plc"].status(122)
    assert (status.live_status, status.cause) == (LiveStatus.UNREACHABLE, "switch")


def test_a_child_that_reaches_its_threshold_first_waits_for_its_failing_parent() -> None:
    site = Site({"plc": ("switch",)})
    _up(site, "switch", "plc")
    site.check("plc", DOWN, 100)
    site.check("switch", DOWN, 101)
    assert site.check("plc", DOWN, 110) == []  # the switch's latest check failed: wait
    assert site.state("plc") is State.UP
    switch_down, plc = site.check("switch", DOWN, 111)
    assert (switch_down.state, plc.state, plc.cause) == (State.DOWN, State.UNREACHABLE, "switch")


def test_a_child_failing_while_its_parent_answers_is_offline() -> None:
    site = Site({"plc": ("switch",)})
    _up(site, "switch", "plc")
    site.check("plc", DOWN, 100)
    (plc,) = site.check("plc", DOWN, 110)
    assert (plc.state, plc.outage is not None) == (State.DOWN, True)


def test_after_the_parent_recovers_a_child_still_failing_goes_offline_after_an_interval_and_its_threshold() -> None:
    site = Site({"plc": ("switch",)})
    _up(site, "switch", "plc")
    for ts in (100, 110):
        site.check("switch", DOWN, ts)
        site.check("plc", DOWN, ts + 1)
    assert site.state("plc") is State.UNREACHABLE
    site.check("switch", UP, 120)
    site.check("plc", DOWN, 121)  # the switch is not back yet (one success of two)
    (switch_up,) = site.check("switch", UP, 130)
    assert switch_up.state is State.UP  # back since 120, its first success
    assert site.check("plc", DOWN, 129.5) == []  # within one interval of 120: not counted
    assert site.check("plc", DOWN, 131) == []  # counted: 1 of 2
    (plc,) = site.check("plc", DOWN, 141)
    assert (plc.state, plc.previous) == (State.DOWN, State.UNREACHABLE)
    assert plc.outage is not None and plc.outage.started_ts == 131
    assert plc.unreachable == Outage("plc", 101, 131, "connection refused", cause="switch")


def test_an_unreachable_period_is_opened_behind_the_parent_and_closed_when_back_online() -> None:
    site = Site({"plc": ("switch",)})
    _up(site, "switch", "plc")
    site.check("switch", DOWN, 100)
    site.check("plc", DOWN, 101)
    site.check("switch", DOWN, 110)
    (cut,) = site.check("plc", DOWN, 111)
    opened = Outage("plc", 101, None, "connection refused", cause="switch")
    assert (cut.state, cut.outage, cut.unreachable) == (State.UNREACHABLE, None, opened)
    assert site.states["plc"].open_period == opened
    assert site.states["plc"].open_outage is None  # no outage of its own
    site.check("switch", UP, 120)
    site.check("switch", UP, 130)
    site.check("plc", UP, 131)
    (plc,) = site.check("plc", UP, 141)
    assert (plc.state, plc.previous, plc.outage) == (State.UP, State.UNREACHABLE, None)
    assert plc.unreachable == Outage("plc", 101, 131, "connection refused", cause="switch")
    assert site.states["plc"].open_period is None


def test_a_child_that_answers_after_the_parent_recovers_is_online() -> None:
    site = Site({"plc": ("switch",)})
    _up(site, "switch", "plc")
    for ts in (100, 110):
        site.check("switch", DOWN, ts)
        site.check("plc", DOWN, ts + 1)
    _up(site, "switch", "plc", at=120)
    assert site.state("plc") is State.UP
    assert site.states["plc"].status(131).cause is None


def test_mode_all_needs_every_parent_offline_and_any_one_of_them() -> None:
    for any_of, expected in ((frozenset(), State.DOWN), (frozenset({"hmi"}), State.UNREACHABLE)):
        site = Site({"hmi": ("switch-a", "switch-b")}, any_of)
        _up(site, "switch-a", "switch-b", "hmi")
        for ts in (100, 110):
            site.check("switch-a", DOWN, ts)
            site.check("switch-b", UP, ts)
        site.check("hmi", DOWN, 111)
        site.check("hmi", DOWN, 121)
        assert site.state("hmi") is expected


def test_a_chain_is_cut_off_at_its_first_link_and_names_the_nearest_parent() -> None:
    site = Site({"switch": ("core",), "plc": ("switch",)})
    _up(site, "core", "switch", "plc")
    site.check("core", DOWN, 99)
    site.check("switch", DOWN, 100)
    site.check("plc", DOWN, 100)
    site.check("switch", DOWN, 110)
    site.check("plc", DOWN, 110)  # both wait: their parents are failing
    core, switch, plc = site.check("core", DOWN, 109)
    assert [change.state for change in (core, switch, plc)] == [
        State.DOWN, State.UNREACHABLE, State.UNREACHABLE
    ]
    assert (switch.cause, plc.cause) == ("core", "switch")


def test_a_parent_missing_from_the_table_stands_in_the_way_of_nothing() -> None:
    site = Site({"plc": ("switch",)})
    states = StateTable([_endpoint("plc")])
    assert topology.verdict(site.dependencies, states, "plc") == topology.Verdict()


def _ignore(checks: Sequence[CheckResult], changes: Sequence[StatusChange]) -> None:
    del checks, changes


def test_a_restart_keeps_unreachable_and_works_out_its_reason_again(tmp_path: Path) -> None:
    """The store keeps the damped state, not its cause: the monitor finds it again from the
    parents' restored states."""
    switch, plc = _endpoint("switch"), _endpoint("plc")
    writer = StoreWriter(SqlStore(f"sqlite:///{tmp_path / 'pulse.db'}"), _ignore)
    monitor = Monitor({}, writer)
    monitor.set_endpoints([switch, plc], Dependencies({"plc": ("switch",)}))
    now = time.time()
    monitor.restore(
        {
            "switch": EndpointSnapshot("switch", State.DOWN, now - 60, now - 5),
            "plc": EndpointSnapshot("plc", State.UNREACHABLE, now - 50, now - 5),
        },
        now,
    )
    status = monitor.states["plc"].status(now)
    assert (status.state, status.cause) == (State.UNREACHABLE, "switch")
    assert monitor.states["plc"].waiting is False  # restored past its threshold, not waiting
