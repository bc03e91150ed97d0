"""Who stands behind a parent's change: the endpoints it made unreachable, those that came back.

One alert for a switch, not one per device behind it (docs/topology.md). An unreachable
endpoint sends nothing of its own; the parent's message names them. They do not all turn
unreachable at the parent's change: each does so at its own next failed check. So the
parent's message waits (a *gathering*) until every endpoint behind it has decided, or until
the longest any of them can take (its interval times its threshold, plus a check's timeout),
whichever comes first. The recovery message waits the same way for those it listed to come
back (online), or to stay failing past their grace (offline, alerting on their own).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from pulse_core.dependencies import Dependencies
from pulse_core.models import Endpoint, State, StatusChange

#: on top of a check's worst case: the store writer's batching and the announcement
SLACK_S = 1.0


@dataclass
class Gathering:
    """A parent's change waiting for the endpoints behind it."""

    change: StatusChange
    endpoint: Endpoint
    #: ids not decided yet
    pending: set[str]
    #: id → name of the endpoints decided in (made unreachable, or back online), in order
    found: dict[str, str] = field(default_factory=dict)
    #: how long it may wait at most, in seconds
    wait_s: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.pending


@dataclass(frozen=True)
class _CutOff:
    cause: str
    name: str


class Behind:
    """What the alert engine knows of unreachable endpoints and the gatherings under way."""

    def __init__(self) -> None:
        self._cut_off: dict[str, _CutOff] = {}
        #: parent id → id → name of the endpoints its offline message listed
        self._listed: dict[str, dict[str, str]] = {}
        self._open: dict[str, Gathering] = {}

    def child_changed(self, change: StatusChange, endpoint: Endpoint) -> list[Gathering]:
        """Take in a change of an endpoint that may stand behind a parent; the gatherings
        it completes (closed: send them)."""
        member = change.endpoint_id
        if change.state is State.UNREACHABLE and change.cause is not None:
            self._cut_off[member] = _CutOff(change.cause, endpoint.name)
            gathering = self._waiting_for(member, State.DOWN)
        elif change.previous is State.UNREACHABLE:
            self._cut_off.pop(member, None)
            gathering = self._waiting_for(member, State.UP)
        else:
            return []
        if gathering is None:
            return []
        gathering.pending.discard(member)
        if change.state is not State.DOWN:  # an endpoint offline on its own is not listed
            gathering.found[member] = endpoint.name
        if not gathering.complete:
            return []
        self.close(gathering)
        return [gathering]

    def start(
        self,
        change: StatusChange,
        endpoint: Endpoint,
        dependencies: Dependencies,
        endpoints: Iterable[Endpoint],
        offline: Collection[str],
    ) -> Gathering | None:
        """A gathering for a parent going offline or coming back, or ``None`` when nothing
        stands behind ``endpoint`` (or the change is a first state online)."""
        if endpoint.id not in dependencies.children:
            return None
        behind = set(dependencies.descendants(endpoint.id))
        if change.state is State.DOWN:
            found = {
                member: cut.name
                for member, cut in self._cut_off.items()
                if member in behind and self._root_of(member) == endpoint.id
            }
            pending = {m for m in behind if m not in offline and m not in self._cut_off}
            extra_checks = 1
        elif change.state is State.UP and change.previous is not State.UNKNOWN:
            listed = self._listed.pop(endpoint.id, {})
            pending = {member for member in listed if member in self._cut_off}
            found = {
                member: name for member, name in listed.items()
                if member not in pending and member not in offline
            }
            extra_checks = 2
        else:
            return None
        timing = [member for member in endpoints if member.id in pending and member.enabled]
        wait_s = max(
            (
                member.interval_s * (member.failure_threshold + extra_checks)
                + member.timeout_ms / 1000
                for member in timing
            ),
            default=0.0,
        )
        gathering = Gathering(
            change, endpoint, {member.id for member in timing}, found, wait_s + SLACK_S
        )
        if gathering.complete:
            self.close(gathering)
        else:
            self._open[endpoint.id] = gathering
        return gathering

    def close(self, gathering: Gathering) -> None:
        """The gathering is being sent: stop waiting; remember whom an offline message
        listed, for its recovery."""
        if self._open.get(gathering.endpoint.id) is gathering:
            del self._open[gathering.endpoint.id]
        if gathering.change.state is State.DOWN:
            self._listed[gathering.endpoint.id] = dict(gathering.found)

    def open_gatherings(self) -> list[Gathering]:
        return list(self._open.values())

    def _waiting_for(self, member: str, state: State) -> Gathering | None:
        """The open gathering of a change to ``state`` that waits for ``member``: its root's
        first (the first endpoint up its chain of causes)."""
        candidates = [self._open.get(self._root_of(member)), *self._open.values()]
        return next(
            (
                gathering for gathering in candidates
                if gathering is not None
                and gathering.change.state is state
                and member in gathering.pending
            ),
            None,
        )

    def _root_of(self, member: str) -> str:
        """The first endpoint up the chain of causes that is not itself unreachable."""
        seen = {member}
        current = member
        while (cut := self._cut_off.get(current)) is not None and cut.cause not in seen:
            seen.add(cut.cause)
            current = cut.cause
        return current
