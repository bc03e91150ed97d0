"""Whether a failing endpoint is offline, or unreachable behind a parent that is.

The one place that decides (docs/topology.md). It reads parents from the state table it is
given, the monitor's ``states``, never from anywhere else: whatever that table holds for an
id (an endpoint this Pulse checks, or one whose state is mirrored from elsewhere) is how
that parent is judged.

A parent counts as *offline* when its damped state is offline or unreachable (so a chain
core → switch → PLC is cut off at its first link), and as *failing* when only its latest
check failed: it may be on its way offline, and a child that reached its own threshold
first waits for it (:data:`WAIT`) rather than alert on its own a moment before the parent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pulse_core.dependencies import Dependencies, DependsOnMode
from pulse_core.engine.state import EndpointState
from pulse_core.models import State

_OFFLINE = (State.DOWN, State.UNREACHABLE)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a child's failures mean now.

    ``cause`` is the parent that cuts it off (the child is unreachable); without one, the
    child is on its own, offline once its failures count (``released_ts``: when its
    parents were last back, as far as known, for the grace after a recovery)."""

    cause: str | None = None
    wait: bool = False
    released_ts: float = -math.inf


#: nothing stands in the way: failures count as they come
ON_ITS_OWN = Verdict()
#: a parent is failing but not offline yet: decide at the next check
WAIT = Verdict(wait=True)


def verdict(
    dependencies: Dependencies, states: Mapping[str, EndpointState], endpoint_id: str
) -> Verdict:
    """Judge ``endpoint_id`` by the states of its parents in ``states``."""
    parents = dependencies.parents.get(endpoint_id)
    if not parents:
        return ON_ITS_OWN
    offline: str | None = None
    failing = fine = 0
    released = -math.inf
    for parent_id in parents:
        parent = states.get(parent_id)
        if parent is not None and parent.state in _OFFLINE:
            offline = offline or parent_id
            continue
        if parent is not None and parent.failing:
            failing += 1
        else:
            fine += 1
        if parent is not None and parent.state_since is not None:
            released = max(released, parent.state_since)
    if dependencies.mode_of(endpoint_id) is DependsOnMode.ANY:
        if offline is not None:
            return Verdict(cause=offline)
        return WAIT if failing else Verdict(released_ts=released)
    if not fine and not failing:
        return Verdict(cause=offline)
    return WAIT if not fine else Verdict(released_ts=released)


def cut_off_behind(
    dependencies: Dependencies, states: Mapping[str, EndpointState], parent_id: str
) -> list[tuple[EndpointState, Verdict]]:
    """The children of ``parent_id`` that were waiting for it (failing past their threshold
    while it was on its way offline), with their verdict now that it is offline."""
    waiting = []
    for child_id in dependencies.children.get(parent_id, ()):
        child = states.get(child_id)
        if child is None or not child.waiting:
            continue
        judged = verdict(dependencies, states, child_id)
        if judged.cause is not None:
            waiting.append((child, judged))
    return waiting
