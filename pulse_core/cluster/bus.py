"""Stored checks and status changes, from the node that stored them to every other node.

Each node probes only the endpoints it owns, yet any node's REST API, WebSocket and SSE
streams show every endpoint of the cluster. So after each written batch the writing node
publishes what it wrote on the store's message channel; every other node takes the checks
into its copy of the state table (the same rules on the same checks give the same states)
and hands the status changes to its live streams. A message carries at most the store's
``max_payload`` bytes, so a batch goes out in as many messages as it needs.

The format is compact JSON arrays, since a busy cluster sends thousands of checks a second:
a check is ``[endpoint_id, ts, up, rtt_ms, error]`` and a change
``[endpoint_id, ts, state, previous, rtt_ms, error, outage, cause]`` with the outage as
``[started_ts, ended_ts, last_error, gap]`` or ``null``, and the cause the id of the parent
behind which the endpoint is unreachable (or ``null``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulse_core.models import CheckResult, CheckStatus, Outage, State, StatusChange

#: the channel stored batches travel on
CHANNEL = "pulse_stored"


@dataclass(frozen=True)
class StoredBatch:
    """What one node wrote in one go, as another node receives it."""

    node: str
    checks: tuple[CheckResult, ...] = ()
    changes: tuple[StatusChange, ...] = field(default=())


def _check(check: CheckResult) -> list[Any]:
    return [
        check.endpoint_id, check.ts, check.status is CheckStatus.UP, check.rtt_ms, check.error
    ]


def _outage(outage: Outage | None) -> list[Any] | None:
    if outage is None:
        return None
    return [outage.started_ts, outage.ended_ts, outage.last_error, outage.gap]


def _change(change: StatusChange) -> list[Any]:
    return [
        change.endpoint_id, change.ts, change.state.value, change.previous.value,
        change.rtt_ms, change.error, _outage(change.outage), change.cause,
    ]


def encode(
    node: str,
    checks: Sequence[CheckResult],
    changes: Sequence[StatusChange],
    max_bytes: int,
) -> Iterator[str]:
    """``checks`` and ``changes`` as messages of at most ``max_bytes`` each (a single item
    larger than that, which bounded errors make impossible in practice, goes alone)."""
    head = json.dumps(node)
    empty = len(head) + len('{"n":,"c":[],"x":[]}')
    checks_part: list[str] = []
    changes_part: list[str] = []
    size = empty
    items = [("c", json.dumps(_check(check))) for check in checks]
    items += [("x", json.dumps(_change(change))) for change in changes]
    for kind, item in items:
        if size + len(item.encode()) + 1 > max_bytes and (checks_part or changes_part):
            yield _message(head, checks_part, changes_part)
            checks_part, changes_part, size = [], [], empty
        (checks_part if kind == "c" else changes_part).append(item)
        size += len(item.encode()) + 1
    if checks_part or changes_part:
        yield _message(head, checks_part, changes_part)


def _message(head: str, checks: list[str], changes: list[str]) -> str:
    return f'{{"n":{head},"c":[{",".join(checks)}],"x":[{",".join(changes)}]}}'


def decode(payload: str) -> StoredBatch:
    """A message of :func:`encode`; raises ValueError for anything else."""
    try:
        data = json.loads(payload)
        checks = tuple(
            CheckResult(
                endpoint_id, ts, CheckStatus.UP if up else CheckStatus.DOWN, rtt_ms, error
            )
            for endpoint_id, ts, up, rtt_ms, error in data["c"]
        )
        changes = tuple(
            StatusChange(
                endpoint_id, ts, State(state), State(previous), rtt_ms, error,
                None if outage is None else Outage(endpoint_id, *outage[:3], gap=outage[3]),
                cause,
            )
            for endpoint_id, ts, state, previous, rtt_ms, error, outage, cause in data["x"]
        )
        return StoredBatch(str(data["n"]), checks, changes)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not a stored batch: {error}") from None
