"""The state table: a new configuration keeps the state of the endpoints that stay."""

from __future__ import annotations

from pulse_core.engine.state import RECENT_CHECKS
from pulse_core.engine.state_table import StateTable
from pulse_core.models import CheckResult, CheckStatus, Endpoint, LiveStatus, State

UP, DOWN = CheckStatus.UP, CheckStatus.DOWN


def endpoint(endpoint_id: str) -> Endpoint:
    return Endpoint(id=endpoint_id, name=endpoint_id, group_id="plant", type="icmp",
                    host="127.0.0.1", interval_s=10.0)


def feed(table: StateTable, endpoint_id: str, statuses: list[CheckStatus], start: float) -> None:
    for index, status in enumerate(statuses):
        error = None if status is UP else f"timeout #{index}"
        rtt = 1.5 if status is UP else None
        table[endpoint_id].observe(CheckResult(endpoint_id, start + index * 10, status, rtt, error))


def test_a_new_configuration_keeps_whatever_the_staying_endpoints_had() -> None:
    before = StateTable([endpoint("gone"), endpoint("stays")])
    feed(before, "stays", [UP, DOWN, UP, DOWN, DOWN], start=1000.0)  # flips, then down
    feed(before, "gone", [UP, UP], start=1000.0)
    kept = before["stays"]

    after = StateTable([endpoint("new"), endpoint("stays")], previous=before)

    assert list(after) == ["new", "stays"] and "gone" not in after
    stays = after["stays"]
    assert (stays.state, stays.state_since) == (State.DOWN, 1030.0)
    assert stays.open_outage == kept.open_outage and stays.open_outage is not None
    assert stays.last == kept.last == CheckResult("stays", 1040.0, DOWN, None, "timeout #4")
    assert (stays.checks_up, stays.checks_down) == (2, 3)
    assert list(stays.flips) == [1010.0, 1020.0, 1030.0]
    assert stays.recent_checks() == kept.recent_checks()
    assert stays.live_status(1041.0) is LiveStatus.DOWN
    fresh = after["new"]
    assert (fresh.state, fresh.last, fresh.checks_seen, fresh.recent_checks()) == (
        State.UNKNOWN, None, 0, []
    )

    # The two tables go their own ways: a view of the old one stays consistent with it.
    feed(after, "stays", [UP], start=1050.0)
    assert list(kept.flips) == [1010.0, 1020.0, 1030.0] and kept.checks_seen == 5


def test_rings_of_neighbouring_slots_stay_apart() -> None:
    table = StateTable([endpoint("a"), endpoint("b")])
    feed(table, "a", [UP] * (RECENT_CHECKS + 5), start=1000.0)
    feed(table, "b", [DOWN], start=5000.0)
    assert table["b"].recent_checks() == [(5000.0, False)]
    assert len(table["a"].recent_checks()) == RECENT_CHECKS
    assert table["a"].recent_checks()[-1] == (1000.0 + 10 * (RECENT_CHECKS + 4), True)


def test_check_counters_keep_counting_past_the_cached_small_ints() -> None:
    table = StateTable([endpoint("a")])
    feed(table, "a", [UP] * 300 + [DOWN] * 3, start=1000.0)
    assert (table["a"].checks_up, table["a"].checks_down) == (300, 3)


def test_states_follow_their_endpoints_through_insertions_removals_and_moves() -> None:
    """Kept states are copied a run of slots at a time: each endpoint must still get its own,
    whatever the runs (an insertion in the middle, a removal, a block moved to the end)."""
    ids = [f"e{number}" for number in range(12)]
    before = StateTable([endpoint(endpoint_id) for endpoint_id in ids])
    for number, endpoint_id in enumerate(ids):
        feed(before, endpoint_id, [UP] * number + [DOWN] * (number % 3), start=1000.0 * number)
    order = ["new-1", *ids[:4], "new-2", *ids[5:8], *ids[10:], *ids[8:10]]  # e4 left

    after = StateTable([endpoint(endpoint_id) for endpoint_id in order], previous=before)

    for endpoint_id in order:
        if endpoint_id.startswith("new"):
            assert after[endpoint_id].checks_seen == 0
            continue
        old, new = before[endpoint_id], after[endpoint_id]
        assert (new.checks_up, new.checks_down, new.state, new.last) == (
            old.checks_up, old.checks_down, old.state, old.last
        )
        assert new.recent_checks() == old.recent_checks()
        assert new.open_outage == old.open_outage
    assert "e4" not in after
    assert [endpoint_id for endpoint_id in order if after[endpoint_id].open_outage] == [
        endpoint_id for endpoint_id in order
        if not endpoint_id.startswith("new") and before[endpoint_id].open_outage
    ]


def test_changed_since_names_exactly_the_slots_whose_change_count_moved() -> None:
    ids = [f"e{number}" for number in range(300)]
    table = StateTable([endpoint(endpoint_id) for endpoint_id in ids])
    feed(table, "e7", [UP] * 255, start=1000.0)
    seen = table.seen()
    assert table.changed_since(seen) == []

    feed(table, "e7", [UP], start=4000.0)  # 255 → 256: two bytes of one counter
    feed(table, "e8", [DOWN], start=4000.0)  # its neighbour, in another column
    feed(table, "e299", [UP], start=4000.0)  # the last slot
    table["e8"].cut_off("e7")  # a state set without a check, after its check
    table.unchecked[table.slot_of("e42")] = "no live node at its site"
    counts = {slot: table.change_count(slot) for slot in range(len(table))}
    assert table.changed_since(seen) == [7, 8, 42, 299]

    seen = table.seen()
    del table.unchecked[table.slot_of("e42")]
    assert table.changed_since(seen) == [42]
    assert [slot for slot in range(len(table)) if table.change_count(slot) != counts[slot]] == [42]
