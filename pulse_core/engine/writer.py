"""The single writer between the monitor and the store.

Probing never waits on the database: results are queued in memory and written in batches by
one task. A batch is written when it is large, when a status change is waiting (so alerts
are not held back), or every ``flush_interval_s``. A failed write keeps the batch and tries
again with backoff, so a locked or briefly unreachable database loses nothing; only past
``max_pending`` queued checks are the oldest dropped, loudly, to protect memory.
What was written goes to ``on_stored`` (the application's :mod:`pulse_core.stored` stream,
a synchronous call that never waits): the checks once they are written, the status changes
once the outages and snapshots of their batch are written too, so whoever hears of a change
can read it back from the store. A batch whose checks were written but whose outages or
snapshots were not hands on its checks alone; its changes wait for the retry.

The writer keeps an account of how writing goes (:class:`WriteHealth`), so that a store that
answers pings but refuses every write (a full disk) shows in ``/api/health`` and the metrics
instead of only in the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Sequence

from pulse_core.coordination import Fenced
from pulse_core.models import CheckResult, EndpointSnapshot, Outage, StatusChange
from pulse_core.store import Store

log = logging.getLogger("pulse.writer")

#: the longest wait between two tries of a failing write
MAX_RETRY_INTERVAL_S = 30.0

#: called with the checks and the status changes of each written batch
OnStored = Callable[[Sequence[CheckResult], Sequence[StatusChange]], None]


@dataclass(slots=True)
class WriteHealth:
    """How writing to the store has gone since start-up: enough to tell a full disk or a
    read-only database from a brief lock, and for how long writes have been failing."""

    failures: int = 0
    last_error: str | None = None
    last_failure_ts: float | None = None
    last_success_ts: float | None = None
    #: when the current run of failed attempts began; ``None`` once a write succeeds
    failing_since_ts: float | None = None

    @property
    def failing(self) -> bool:
        """Whether the latest write attempt failed."""
        return self.failing_since_ts is not None

    def succeeded(self, now: float) -> None:
        self.last_success_ts = now
        self.failing_since_ts = None

    def failed(self, now: float, error: Exception) -> None:
        self.failures += 1
        # the first line only: a database driver appends the statement and its parameters
        self.last_error = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        self.last_failure_ts = now
        if self.failing_since_ts is None:
            self.failing_since_ts = now


class StoreWriter:
    def __init__(
        self,
        store: Store,
        on_stored: OnStored,
        *,
        batch_size: int = 5000,
        flush_interval_s: float = 0.5,
        max_pending: int = 1_000_000,
    ) -> None:
        self._store = store
        self._on_stored = on_stored
        self._batch_size = batch_size
        self._flush_interval_s = flush_interval_s
        self._max_pending = max_pending
        self._checks: deque[CheckResult] = deque()
        self._outages: dict[tuple[str, float], Outage] = {}
        self._snapshots: dict[str, EndpointSnapshot] = {}
        self._changes: list[StatusChange] = []
        self._wake = asyncio.Event()
        self._closing = False
        self.dropped = 0
        self.written = 0
        self.health = WriteHealth()

    @property
    def pending(self) -> int:
        return len(self._checks)

    @property
    def oldest_pending_ts(self) -> float | None:
        """When the oldest check still waiting to be written was taken (queued order is
        taken order, retries included), or ``None`` when nothing waits."""
        return self._checks[0].ts if self._checks else None

    def add_checks(self, checks: Sequence[CheckResult]) -> None:
        """Queue ``checks`` (those of a burst of replies come together, queued in one go)."""
        queue = self._checks
        queue.extend(checks)
        over = len(queue) - self._max_pending
        if over > 0:
            for _ in range(over):
                queue.popleft()
            before, self.dropped = self.dropped, self.dropped + over
            if (self.dropped - 1) // 10_000 > (before - 1) // 10_000:  # 1, 10,001, 20,001...
                log.error("store is not keeping up: %d checks dropped so far", self.dropped)
        if len(queue) >= self._batch_size:
            self._wake.set()

    def add_outage(self, outage: Outage) -> None:
        self._outages[(outage.endpoint_id, outage.started_ts)] = outage
        self._wake.set()

    def add_snapshot(self, snapshot: EndpointSnapshot) -> None:
        self._snapshots[snapshot.endpoint_id] = snapshot
        self._wake.set()

    def add_change(self, change: StatusChange, snapshot: EndpointSnapshot) -> None:
        """The change's outage and period unreachable, if any, with the endpoint's state."""
        if change.unreachable is not None:
            self.add_outage(change.unreachable)
        if change.outage is not None:
            self.add_outage(change.outage)
        self.add_snapshot(snapshot)
        self._changes.append(change)

    async def run(self) -> None:
        """Write until :meth:`close`, then flush what is pending (one attempt).

        Stopping is a request, not a cancellation: a cancelled write may already be in the
        database while the batch it held is forgotten, so its checks went uncounted and its
        outages and snapshots unwritten; a request lets the batch in flight finish first."""
        backoff: float | None = None  # after a failed write: the wait before the next try
        while not self._closing:
            await self._pause(backoff)
            if await self.flush():
                backoff = None
            else:
                backoff = min(2 * (backoff or self._flush_interval_s / 2), MAX_RETRY_INTERVAL_S)
        if not await self.flush():
            log.error("stopping with %d checks not written: the store refused them", self.pending)

    async def _pause(self, backoff: float | None) -> None:
        """Until there is something to write, or ``flush_interval_s`` passed; after a failed
        write, the whole ``backoff``: new checks arrive all the time, and letting each of
        them cut the wait short retried a full disk hundreds of times a minute, doubled the
        backoff to its maximum within a second and so noticed the disk was back only up to
        that maximum later. Only :meth:`close` ends a backoff early."""
        try:
            async with asyncio.timeout(backoff or self._flush_interval_s):
                while True:
                    await self._wake.wait()
                    self._wake.clear()
                    if backoff is None or self._closing:
                        return
        except TimeoutError:
            pass

    def close(self) -> None:
        """Ask :meth:`run` to write what is pending and return."""
        self._closing = True
        self._wake.set()

    async def flush(self) -> bool:
        """Write everything pending; return whether it all went to the store."""
        while self._checks or self._outages or self._snapshots:
            checks = [self._checks.popleft() for _ in range(min(self._batch_size, len(self._checks)))]
            outages, self._outages = list(self._outages.values()), {}
            snapshots, self._snapshots = list(self._snapshots.values()), {}
            changes, self._changes = self._changes, []
            written: list[CheckResult] = []
            try:
                if checks:  # each part is forgotten once written, so a retry never repeats it
                    await self._store.write_checks(checks)
                    self.written += len(checks)
                    written, checks = checks, []
                if outages:
                    await self._store.write_outages(outages)
                    outages = []
                if snapshots:
                    await self._store.write_snapshots(snapshots)
                    snapshots = []
            except Fenced as exc:
                self._hand_on(written, ())
                self.discard(f"this node lost its cluster lease ({exc})", len(checks))
                return True
            except Exception as exc:
                self._hand_on(written, ())
                self.health.failed(time.time(), exc)
                log.error("writing to the store failed, will retry: %s", self.health.last_error)
                self._requeue(checks, outages, snapshots, changes)
                return False
            self.health.succeeded(time.time())
            self._hand_on(written, changes)
        return True

    def _hand_on(self, checks: Sequence[CheckResult], changes: Sequence[StatusChange]) -> None:
        if checks or changes:
            self._on_stored(checks, changes)

    def discard(self, reason: str, in_flight: int = 0) -> None:
        """Drop everything not written yet: a cluster node that lost its lease (``reason``)
        must not write what it took before it knew; its endpoints are another node's now,
        and that node's checks and states are the ones that count."""
        dropped = in_flight + len(self._checks)
        self._checks.clear()
        self._outages.clear()
        self._snapshots.clear()
        self._changes.clear()
        log.error("%s: %d unwritten checks dropped", reason, dropped)

    def _requeue(
        self,
        checks: list[CheckResult],
        outages: list[Outage],
        snapshots: list[EndpointSnapshot],
        changes: list[StatusChange],
    ) -> None:
        self._checks.extendleft(reversed(checks))
        for outage in outages:
            self._outages.setdefault((outage.endpoint_id, outage.started_ts), outage)
        for snapshot in snapshots:
            self._snapshots.setdefault(snapshot.endpoint_id, snapshot)
        self._changes[:0] = changes
