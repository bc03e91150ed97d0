"""Stored batches between nodes: what goes out comes back the same, in messages that fit."""

from __future__ import annotations

from pulse_core.cluster.bus import decode, encode
from pulse_core.models import CheckResult, CheckStatus, Outage, State, StatusChange


def test_checks_and_changes_round_trip_in_messages_under_the_limit() -> None:
    checks = [
        CheckResult(f"ep-{i}", 1_700_000_000.25 + i, CheckStatus.UP if i % 3 else CheckStatus.DOWN,
                    None if i % 3 == 0 else 0.5 + i, "connection refused: \"port\" 502" if i % 3 == 0 else None)
        for i in range(1000)
    ]
    outage = Outage("ep-1", 1_700_000_000.0, None, "timed out")
    changes = [
        StatusChange("ep-1", 1_700_000_001.5, State.DOWN, State.UP, None, "timed out", outage),
        StatusChange("ep-2", 1_700_000_002.5, State.UP, State.UNKNOWN, 1.25),
        StatusChange("ep-3", 1_700_000_003.5, State.UNREACHABLE, State.UP, None, "refused",
                     cause="ep-1"),
    ]
    messages = list(encode("node-a", checks, changes, 7900))
    assert len(messages) > 1
    assert all(len(message.encode()) <= 7900 for message in messages)
    batches = [decode(message) for message in messages]
    assert {batch.node for batch in batches} == {"node-a"}
    assert [check for batch in batches for check in batch.checks] == checks
    assert [change for batch in batches for change in batch.changes] == changes


def test_a_malformed_message_is_a_value_error() -> None:
    for payload in ("", "{}", '{"n": "a", "c": [[1]], "x": []}', "[1, 2]"):
        try:
            decode(payload)
        except ValueError:
            continue
        raise AssertionError(f"{payload!r} was taken")
