"""The one way out of the store: every batch that was stored, handed to whoever follows it.

The single store writer (:mod:`pulse_core.engine.writer`) hands each batch it wrote here, and
so does a cluster node for what it heard another node wrote; nothing else of Pulse calls
back into the application when data is stored. A batch carries its checks and its status
changes, each change with its endpoint as configured when the batch was handed on (a change
of an endpoint no longer configured is left out: nobody can name it any more).

Publishing never waits: the writer must not be held up by whoever listens. A subscriber is
either called at once with each batch (and must not wait either), or handed each batch in a
task of its own: side by side, or ``in_order``, each batch's task beginning once the
previous batch's has ended. A subscriber that fails is logged; the others still hear the
batch. :meth:`StoredStream.drain` waits for every task started, which is how a stop makes
sure every stored batch was dealt with before the plugins hear ``pulse_shutdown``.

**Local and remote.** A batch is *local* when this node's writer stored it and *remote* when
another node of the cluster stored it and this node heard of it
(:mod:`pulse_core.cluster.runtime`). Every subscriber hears both and decides:

- live push (WebSocket, SSE) shows both, so every node's streams show every endpoint of the
  cluster; it publishes each change on the application's ``EventBus``, which gives the
  changes their ids, keeps them for replay and drops clients that fall behind;
- the plugins' ``pulse_checks_stored`` and ``pulse_status_changed`` hear local batches only:
  each node announces what it stored itself, so a change is announced once in the cluster;
- alerting deals with local changes, in order; remote ones only complete what it waits for
  (a parent's message naming the endpoints behind it that other nodes probe);
- the cluster publishes local batches to the other nodes, never one it heard from them.

:class:`pulse_core.app.Pulse` subscribes them in that order, live push first: a client
waiting for a change is woken before any other subscriber's work on it has begun.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from pulse_core.models import CheckResult, Endpoint, StatusChange

log = logging.getLogger("pulse.stored")


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """One batch that reached the store."""

    checks: Sequence[CheckResult]
    #: each change with its endpoint as configured, in the order they were recorded
    changes: Sequence[tuple[StatusChange, Endpoint]]
    #: stored by another node of the cluster, heard here
    remote: bool


Subscriber = Callable[[StoredBatch], None]
Handler = Callable[[StoredBatch], Awaitable[None]]


class StoredStream:
    """Fan-out of stored batches to subscribers, on one event loop."""

    def __init__(self, endpoint: Callable[[str], Endpoint | None]) -> None:
        """``endpoint`` finds an endpoint of the running configuration by id."""
        self._endpoint = endpoint
        self._subscribers: list[Subscriber] = []
        self._running: set[asyncio.Task[None]] = set()

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber`` with every later batch, at once; it must not wait."""
        self._subscribers.append(subscriber)

    def subscribe_in_tasks(self, handler: Handler, *, in_order: bool) -> None:
        """Hand every later batch to ``handler`` in a task of its own; with ``in_order``,
        each task begins once the previous batch's has ended."""
        self._subscribers.append(_InTasks(handler, in_order, self._running))

    def written(self, checks: Sequence[CheckResult], changes: Sequence[StatusChange]) -> None:
        """This node's writer stored ``checks`` and ``changes``."""
        self._publish(checks, changes, remote=False)

    def heard(self, checks: Sequence[CheckResult], changes: Sequence[StatusChange]) -> None:
        """Another node of the cluster stored ``checks`` and ``changes``."""
        self._publish(checks, changes, remote=True)

    async def drain(self) -> None:
        """Wait until every task started for a batch has ended (those its end started too)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    def _publish(
        self, checks: Sequence[CheckResult], changes: Sequence[StatusChange], remote: bool
    ) -> None:
        known = [
            (change, endpoint)
            for change in changes
            if (endpoint := self._endpoint(change.endpoint_id)) is not None
        ]
        if not checks and not known:
            return
        batch = StoredBatch(checks, known, remote)
        for subscriber in self._subscribers:
            try:
                subscriber(batch)
            except Exception:
                log.exception("a subscriber of stored batches failed; the others still hear")


class _InTasks:
    """A handler run in a task per batch (see :meth:`StoredStream.subscribe_in_tasks`)."""

    def __init__(self, handler: Handler, in_order: bool, running: set[asyncio.Task[None]]) -> None:
        self._handler = handler
        self._in_order = in_order
        self._running = running
        self._latest: asyncio.Task[None] | None = None

    def __call__(self, batch: StoredBatch) -> None:
        after = self._latest if self._in_order else None
        task = asyncio.create_task(self._handle(batch, after))
        self._latest = task
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _handle(self, batch: StoredBatch, after: asyncio.Task[None] | None) -> None:
        if after is not None and not after.done():
            await asyncio.wait([after])
        try:
            await self._handler(batch)
        except Exception:
            name = getattr(self._handler, "__qualname__", repr(self._handler))
            log.exception("%s failed on a stored batch; later batches still reach it", name)
