"""Damped state, outages, flapping and the restart gap rule (docs/api.md)."""

from __future__ import annotations

from pulse_core.engine.state import FLAP_WINDOW_S, MAX_STEP_S, RECENT_CHECKS, EndpointState
from pulse_core.engine.state_table import StateTable
from pulse_core.models import (
    CheckResult,
    CheckStatus,
    Endpoint,
    EndpointSnapshot,
    LiveStatus,
    Outage,
    State,
)

UP, DOWN = CheckStatus.UP, CheckStatus.DOWN


def endpoint(**overrides: object) -> Endpoint:
    fields: dict = dict(id="ep1", name="plc-1", group_id="press", type="tcp", host="10.0.0.5",
                        port=502, interval_s=10.0)
    fields.update(overrides)
    return Endpoint(**fields)


def state_of(endpoint: Endpoint) -> EndpointState:
    """The state of an endpoint monitored on its own."""
    return StateTable([endpoint])[endpoint.id]


def feed(state: EndpointState, statuses: list[CheckStatus], start: float = 1000.0,
         step: float = 10.0) -> list:
    changes = []
    for index, status in enumerate(statuses):
        error = None if status is UP else f"connection refused #{index}"
        rtt = 2.0 if status is UP else None
        change = state.observe(CheckResult("ep1", start + index * step, status, rtt, error))
        if change is not None:
            changes.append(change)
    return changes


def test_first_state_needs_its_threshold() -> None:
    state = state_of(endpoint())
    assert feed(state, [UP]) == []
    (change,) = feed(state, [UP], start=1010.0)
    assert (change.previous, change.state, change.outage) == (State.UNKNOWN, State.UP, None)


def test_two_failures_open_an_outage_at_the_first_failure() -> None:
    state = state_of(endpoint())
    changes = feed(state, [UP, UP, DOWN, DOWN, DOWN])
    assert [c.state for c in changes] == [State.UP, State.DOWN]
    outage = changes[1].outage
    assert outage == Outage("ep1", 1020.0, None, "connection refused #3")
    assert state.open_outage == outage


def test_two_successes_close_the_outage_with_its_duration_and_last_error() -> None:
    state = state_of(endpoint())
    changes = feed(state, [UP, UP, DOWN, DOWN, DOWN, UP, UP])
    closing = changes[-1]
    assert (closing.previous, closing.state) == (State.DOWN, State.UP)
    assert closing.outage is not None
    assert closing.outage.ended_ts == 1050.0
    assert closing.outage.duration_s == 30.0
    assert closing.outage.last_error == "connection refused #4"
    assert state.open_outage is None


def test_a_single_failure_is_damped() -> None:
    state = state_of(endpoint())
    changes = feed(state, [UP, UP, DOWN, UP, UP])
    assert [c.state for c in changes] == [State.UP]
    assert (state.checks_up, state.checks_down) == (4, 1)


def test_thresholds_are_per_endpoint() -> None:
    state = state_of(endpoint(failure_threshold=3, success_threshold=1))
    changes = feed(state, [UP, DOWN, DOWN, DOWN, UP])
    assert [c.state for c in changes] == [State.UP, State.DOWN, State.UP]
    assert changes[1].ts == 1030.0


def test_live_status_is_down_without_a_recent_check() -> None:
    state = state_of(endpoint())
    assert state.live_status(now=1000.0) is LiveStatus.DOWN
    feed(state, [UP, UP])
    assert state.live_status(now=1015.0) is LiveStatus.UP
    assert state.live_status(now=1010.0 + 20.0 + 0.1) is LiveStatus.DOWN


def test_live_status_before_any_state_is_the_latest_check() -> None:
    state = state_of(endpoint())
    feed(state, [DOWN])
    assert state.live_status(now=1001.0) is LiveStatus.DOWN


def test_more_than_three_changes_in_five_minutes_is_flapping() -> None:
    state = state_of(endpoint())
    feed(state, [UP, UP, DOWN, UP, DOWN])  # three raw changes
    assert state.live_status(now=1041.0) is LiveStatus.UP
    feed(state, [UP], start=1050.0)  # the fourth
    assert state.live_status(now=1051.0) is LiveStatus.FLAPPING
    feed(state, [UP] * 30, start=1060.0)  # five quiet minutes later
    assert state.live_status(now=1060.0 + 29 * 10 + 1) is LiveStatus.UP


def test_restart_within_the_gap_resumes_the_open_outage() -> None:
    outage = Outage("ep1", 900.0, None, "timeout")
    snapshot = EndpointSnapshot("ep1", State.DOWN, 900.0, last_check_ts=990.0, open_outage=outage)
    state = state_of(endpoint())
    assert state.restore(snapshot, now=990.0 + 24.0) is None
    assert state.state is State.DOWN and state.open_outage == outage
    (change,) = feed(state, [UP, UP], start=1015.0)
    assert change.previous is State.DOWN
    assert change.outage == Outage("ep1", 900.0, 1015.0, "timeout")


def test_restart_after_a_long_gap_closes_the_outage_at_the_last_check() -> None:
    outage = Outage("ep1", 900.0, None, "timeout")
    snapshot = EndpointSnapshot("ep1", State.DOWN, 900.0, last_check_ts=990.0, open_outage=outage)
    state = state_of(endpoint())
    closed = state.restore(snapshot, now=990.0 + 26.0)
    assert closed == Outage("ep1", 900.0, 990.0, "timeout", gap=True)
    assert state.state is State.UNKNOWN and state.open_outage is None
    changes = feed(state, [DOWN, DOWN], start=1020.0)
    assert changes[0].previous is State.UNKNOWN
    assert changes[0].outage is not None and changes[0].outage.started_ts == 1020.0


def test_recent_checks_keep_the_latest_in_order_with_their_outcome() -> None:
    state = state_of(endpoint())
    assert state.recent_checks() == []
    statuses = [UP, DOWN] * RECENT_CHECKS + [UP, UP, DOWN]
    feed(state, statuses, start=0.0)  # a check at time 0.0 keeps its outcome too
    expected = [
        (index * 10.0, status is UP) for index, status in enumerate(statuses)
    ][-RECENT_CHECKS:]
    assert state.recent_checks() == expected


def test_recent_checks_are_kept_to_the_second_even_when_the_clock_goes_back() -> None:
    state = state_of(endpoint())
    feed(state, [UP, DOWN], start=1_700_000_000.75)
    feed(state, [UP], start=1_699_999_000.5)  # the clock was set back by 1,000 s
    assert state.recent_checks() == [
        (1_700_000_000.0, True), (1_700_000_010.0, False), (1_699_999_000.0, True)
    ]


def test_flips_are_forgotten_once_out_of_the_window() -> None:
    state = state_of(endpoint())
    feed(state, [UP, DOWN, UP])
    assert list(state.flips) == [1010.0, 1020.0]
    feed(state, [UP], start=1020.0 + FLAP_WINDOW_S + 1)
    assert not state.flips


def test_recent_checks_keep_steps_up_to_the_longest_and_start_afresh_after() -> None:
    state = state_of(endpoint())
    feed(state, [UP, DOWN], start=1_700_000_000.0, step=MAX_STEP_S)
    assert state.recent_checks() == [(1_700_000_000.0, True), (1_700_000_000.0 + MAX_STEP_S, False)]
    feed(state, [UP], start=1_700_000_000.0 + 3 * MAX_STEP_S)  # after more than 4.5 h
    assert state.recent_checks() == [(1_700_000_000.0 + 3 * MAX_STEP_S, True)]
