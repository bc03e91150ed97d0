"""The live picture: every endpoint's state, updated by each check.

The scheduler calls :meth:`Monitor.run_check` (or :meth:`Monitor.run_batch`, for a probe that
checks in batches); each result goes through the endpoint's state machine, then to the store
writer; changes are announced once stored. The API reads live status from here, never from
the database.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from functools import partial
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

from pulse_core.dependencies import Dependencies
from pulse_core.engine import topology
from pulse_core.engine.checks import run_probe, run_probe_many
from pulse_core.engine.details import LatestDetails
from pulse_core.engine.state import EndpointState, Judge
from pulse_core.engine.state_table import StateTable
from pulse_core.engine.writer import StoreWriter
from pulse_core.models import (
    CheckResult,
    CheckStatus,
    Endpoint,
    EndpointSnapshot,
    ProbeResult,
    State,
    StatusChange,
)
from pulse_core.probe import Probe

#: upper bounds, in seconds, of the check-duration buckets (a last, unbounded one follows)
DURATION_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class DurationHistogram:
    """How long checks of one probe type took, retries included, kept as bucket counts: two
    additions per check on the hot path, and the shape a Prometheus histogram needs."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(DURATION_BUCKETS_S) + 1))
    sum_s: float = 0.0

    def observe(self, seconds: float, checks: int = 1) -> None:
        """``checks`` checks took ``seconds`` each (those of a burst of replies share it)."""
        self.counts[bisect_left(DURATION_BUCKETS_S, seconds)] += checks
        self.sum_s += seconds * checks


class Monitor:
    def __init__(self, probes: Mapping[str, Probe], writer: StoreWriter) -> None:
        self._probes = probes
        self._writer = writer
        self.states = StateTable(())
        #: whether this node records an endpoint's changes: in a cluster, those it owns
        self.owns: Callable[[str], bool] = lambda endpoint_id: True
        #: what endpoints depend on: judged against ``states`` (:mod:`.topology`)
        self.dependencies = Dependencies()
        #: check durations by probe type, for exporters
        self.durations: dict[str, DurationHistogram] = {}
        #: the latest check's details by endpoint id (``GET /api/endpoints/{id}``), only for
        #: endpoints whose probe gave some: the stored history has no room for them
        self.details = LatestDetails()

    def set_endpoints(
        self, endpoints: Iterable[Endpoint], dependencies: Dependencies | None = None
    ) -> None:
        """Follow a new configuration; endpoints that stay keep their state."""
        self.states = StateTable(tuple(endpoints), previous=self.states)
        self.dependencies = dependencies or Dependencies()
        self.details.only(self.states)

    def restore(
        self, snapshots: Mapping[str, EndpointSnapshot], now: float, record_gaps: bool = True
    ) -> None:
        """Resume remembered states; outages interrupted by a long gap are closed (and
        written, with ``record_gaps``: a cluster node leaves that to each endpoint's owner)."""
        for endpoint_id, snapshot in snapshots.items():
            state = self.states.get(endpoint_id)
            if state is None:
                continue
            closed = state.restore(snapshot, now)
            if closed is not None and record_gaps:
                self._writer.add_outage(closed)
                self._writer.add_snapshot(state.snapshot())
        for endpoint_id in self.dependencies.parents:  # the causes of restored UNREACHABLE
            state = self.states.get(endpoint_id)
            if state is not None and state.state is State.UNREACHABLE:
                cause = topology.verdict(self.dependencies, self.states, endpoint_id).cause
                if cause is not None:
                    state.blame(cause)

    async def run_check(self, endpoint: Endpoint, due: float) -> None:
        started, clock = time.time(), time.perf_counter()
        result = await run_probe(self._probes[endpoint.type], endpoint)
        self._duration_of(endpoint.type).observe(time.perf_counter() - clock)
        self._take((endpoint,), started, (result,))

    def batches(self, type_name: str) -> bool:
        """Whether checks of ``type_name`` go to :meth:`run_batch` (its probe checks in
        batches)."""
        probe = self._probes.get(type_name)
        return probe is not None and probe.checks_in_batches()

    async def run_batch(
        self,
        endpoints: Sequence[Endpoint],
        due: float,
        finished: Callable[[Sequence[int]], None] = lambda indexes: None,
    ) -> None:
        """:meth:`run_check` for endpoints of one type due together: each result is taken
        in as the probe reports it (a burst of them in one pass), under the same rules as a
        check of its own, and ``finished(indexes)`` told once they are."""
        type_name = endpoints[0].type
        report = _BatchReport(self, endpoints, self._duration_of(type_name), finished)
        await run_probe_many(self._probes[type_name], endpoints, report)

    def _take(
        self, endpoints: Sequence[Endpoint], started: float, results: Sequence[ProbeResult]
    ) -> None:
        """Each check's result (of ``endpoints``, in turn, started at ``started``) into its
        endpoint's state, the writer's queue, the details."""
        states, owns, details, writer = self.states, self.owns, self.details, self._writer
        parents = self.dependencies.parents
        up, down = CheckStatus.UP, CheckStatus.DOWN
        taken: list[CheckResult] = []
        for endpoint, result in zip(endpoints, results):
            endpoint_id = endpoint.id
            check = CheckResult(
                endpoint_id, started, up if result.ok else down, result.rtt_ms, result.error
            )
            slot = states.slot_of(endpoint_id)
            if slot is None:  # removed from the configuration while it was being checked
                continue
            if not owns(endpoint_id):  # another cluster node probes it since it started
                continue
            state = EndpointState(states, slot)
            change = state.observe(
                check, self._judge(endpoint_id) if endpoint_id in parents else None
            )
            details.keep(endpoint, result.details)
            taken.append(check)
            if change is not None:  # its check queued first, as for a check of its own
                writer.add_checks(taken)
                taken = []
                self._record(change, state)
        if taken:
            writer.add_checks(taken)

    def take_in(self, check: CheckResult) -> None:
        """A check another cluster node stored, into this node's copy of its endpoint's
        state, under the same rules (the change it leads to is that node's to record)."""
        state = self.states.get(check.endpoint_id)
        if state is None or (state.last_ts or 0.0) >= check.ts:
            return
        change = state.observe(check, self._judge(check.endpoint_id))
        if change is not None:
            self._cut_off_behind(change)  # its children this node owns are this node's

    def catch_up(self, check: CheckResult) -> None:
        """A stored check this node never took in, of an endpoint it now owns: taken in as
        if it were its own, the change it leads to recorded (its previous owner did not get
        to it)."""
        state = self.states.get(check.endpoint_id)
        if state is None:
            return
        change = state.observe(check, self._judge(check.endpoint_id))
        if change is not None:
            self._record(change, state)

    def _judge(self, endpoint_id: str) -> Judge | None:
        if endpoint_id not in self.dependencies.parents:
            return None
        return partial(topology.verdict, self.dependencies, self.states, endpoint_id)

    def _record(self, change: StatusChange, state: EndpointState) -> None:
        """Hand ``change`` to the writer; when it takes a parent offline, the children that
        were waiting for it become unreachable now, in the same batch (and theirs in turn)."""
        self._writer.add_change(change, state.snapshot())
        self._cut_off_behind(change)

    def _cut_off_behind(self, change: StatusChange) -> None:
        """When ``change`` takes a parent offline, the children this node owns that were
        waiting for it become unreachable now (and theirs in turn); a cluster node hears of
        a parent another node probes through its copy of the parent's state."""
        if change.state not in (State.DOWN, State.UNREACHABLE):
            return
        for child, verdict in topology.cut_off_behind(
            self.dependencies, self.states, change.endpoint_id
        ):
            if self.owns(child.endpoint.id):
                assert verdict.cause is not None
                self._record(child.cut_off(verdict.cause), child)

    def _duration_of(self, type_name: str) -> DurationHistogram:
        histogram = self.durations.get(type_name)
        if histogram is None:
            histogram = self.durations[type_name] = DurationHistogram()
        return histogram


class _BatchReport:
    """The ``report`` of :meth:`Monitor.run_batch`: ``many`` takes a burst of results in one
    pass and tells the scheduler of them in one call."""

    __slots__ = ("clock", "durations", "endpoints", "finished", "monitor", "started")

    def __init__(
        self,
        monitor: Monitor,
        endpoints: Sequence[Endpoint],
        durations: DurationHistogram,
        finished: Callable[[Sequence[int]], None],
    ) -> None:
        self.monitor = monitor
        self.endpoints = endpoints
        self.durations = durations
        self.finished = finished
        self.started, self.clock = time.time(), time.perf_counter()

    def __call__(self, index: int, result: ProbeResult) -> None:
        self.many((index,), (result,))

    def many(self, indexes: Sequence[int], results: Sequence[ProbeResult]) -> None:
        self.durations.observe(time.perf_counter() - self.clock, len(indexes))
        endpoints = self.endpoints
        self.monitor._take([endpoints[index] for index in indexes], self.started, results)
        self.finished(indexes)
