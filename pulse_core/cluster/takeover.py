"""An endpoint's state carried over to the node that takes it over, through the store.

The new owner has been following the endpoint already: its copy of the state table took in
every check the old owner published (:mod:`pulse_core.cluster.bus`). What the old owner did
not get to publish (it was killed between writing and publishing, or a message was lost
while the database connection was down) is in the store, so the new owner reads back the
endpoint's remembered state and its latest stored checks, and takes in what its copy lacks.
The damping count goes on where it was (two failures of three stay two), a threshold that
the last stored checks reached but the old owner never recorded is recorded now, with the
time of the check that reached it, and nothing is announced twice: a state already reached
is not reached again.

The gap rule (an outage interrupted by a long silence is closed as a gap) allows for the
time a takeover takes: the lease of the dead node plus a heartbeat.
"""

from __future__ import annotations

from collections.abc import Container, Sequence

from pulse_core.engine.monitor import Monitor
from pulse_core.engine.writer import StoreWriter
from pulse_core.models import CheckResult, Endpoint, EndpointSnapshot
from pulse_core.store import Store


def replay_window_s(endpoint: Endpoint) -> float:
    """How far back the stored checks that can still matter go: enough for the longest
    threshold and then some."""
    longest = max(endpoint.failure_threshold, endpoint.success_threshold)
    return (longest + 2) * endpoint.interval_s


async def take_over(
    store: Store,
    monitor: Monitor,
    writer: StoreWriter,
    endpoints: Sequence[Endpoint],
    now: float,
    grace_s: float,
) -> None:
    """Bring the state of ``endpoints`` (newly owned by this node) up to what the store
    knows, recording any change the stored checks call for."""
    if not endpoints:
        return
    snapshots = await store.load_snapshots()
    start = now - max(replay_window_s(endpoint) for endpoint in endpoints) - grace_s
    stored: dict[str, list[CheckResult]] = {}
    async for page in store.checks_many([endpoint.id for endpoint in endpoints], start, now):
        for check in page:
            stored.setdefault(check.endpoint_id, []).append(check)
    for endpoint in endpoints:
        resume(monitor, writer, endpoint, snapshots.get(endpoint.id), stored.get(endpoint.id, ()),
               now, grace_s)


def resume(
    monitor: Monitor,
    writer: StoreWriter,
    endpoint: Endpoint,
    snapshot: EndpointSnapshot | None,
    stored: Sequence[CheckResult],
    now: float,
    grace_s: float,
) -> None:
    state = monitor.states.get(endpoint.id)
    if state is None:
        return
    in_step = snapshot is None or (
        snapshot.state is state.state and snapshot.state_since == state.state_since
    )
    if in_step:
        # what the copy took in, and nothing before the current state's run began (a copy
        # restored at start-up has taken in no check yet)
        since = snapshot.state_since if snapshot is not None else None
        seen_up_to = max(state.last_ts or 0.0, since or 0.0)
    else:
        closed = state.restore(snapshot, now - grace_s)
        if closed is not None:
            writer.add_outage(closed)
            writer.add_snapshot(state.snapshot())
        seen_up_to = snapshot.state_since or 0.0
    for check in stored:
        if check.ts > seen_up_to:
            monitor.catch_up(check)


def mirror(monitor: Monitor, checks: Sequence[CheckResult], owned: Container[str]) -> None:
    """Take checks another node stored into this node's copy of their endpoints' states
    (the changes they lead to are that node's to record and announce, not this one's)."""
    for check in checks:
        if check.endpoint_id not in owned:
            monitor.take_in(check)
