"""Delivery of one notifier's messages from the outbox: several at once, in order per endpoint.

One ``Courier`` per notifier sends up to ``concurrency`` messages at a time (over the
notifier's one pooled client). The messages about one endpoint form a *lane* and go one after
the other, in the order they were queued, so a recovery always follows the outage it closes
(and finds the reference the first message got); lanes do not wait for each other. Every
attempt runs under ``delivery_timeout``: a receiver that hangs delays only its own notifier,
never another one nor the monitor.

Outcomes, each written to the store in one update:

- delivered: the message is marked ``delivered`` with the receiver's reference;
- rate limited (429): the whole notifier pauses for the receiver's ``Retry-After`` and the
  message keeps its place; the pause is not a failed attempt (it does not lengthen backoffs,
  only ``max_age`` still applies);
- a passing failure (timeout, 5xx, refused connection): retried after an exponential
  backoff with jitter, or after the receiver's ``Retry-After`` when it sent one;
- a permanent failure (400, 401, a refused destination) or a message older than
  ``max_age``: marked ``dead`` (a dead letter, listed by the API) and handed to
  ``on_dead`` (which queues it for the fallback notifier, if any).

Stopping (:meth:`Courier.close`, at a clean stop or when the notifier's configuration
changes) starts no new attempt and waits for the ones under way until their outcome is
stored, so what a receiver has answered is never sent again by the next courier. Only a
crash (``kill -9``) between a receiver's answer and the update that marks the message sends
it again after the restart (at-least-once).
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import cast

from pulse_core.notifier import (
    DeliveryError,
    Notification,
    NotificationKind,
    Notifier,
    Receipt,
)
from pulse_core.outbox import OutboxMessage, OutboxState
from pulse_core.store import Store

log = logging.getLogger("pulse.alerting")

#: Beyond ``delivery_timeout``, how long a stop waits for the outcome of an attempt to be
#: stored before it gives up on it.
CLOSE_MARGIN_S = 5.0
#: how soon a message held back by ``may_send`` is looked at again
NOT_NOW_S = 1.0


@dataclass(frozen=True)
class DeliveryRules:
    max_age_s: float
    timeout_s: float
    backoff_initial_s: float
    backoff_max_s: float
    concurrency: int = 1

    def backoff_s(self, attempts: int) -> float:
        """Full-jitter-ish exponential backoff: half to all of ``initial * 2**(attempts-1)``."""
        growth = 2.0 ** max(0, attempts - 1)
        ceiling = min(self.backoff_max_s, self.backoff_initial_s * growth)
        return ceiling * random.uniform(0.5, 1.0)


@dataclass
class DeliveryCounts:
    """What a courier has done since it started (``pulse_notifications_total``)."""

    delivered: int = 0
    failed_attempts: int = 0
    dead: int = 0
    rate_limited: int = 0


def lane_of(message: OutboxMessage) -> str:
    """The lane of a message: its endpoint, or for a storm summary its group; a message
    about neither goes on a lane of its own."""
    endpoint = message.variables.get("endpoint")
    if isinstance(endpoint, Mapping):
        if endpoint.get("id"):
            return f"endpoint:{endpoint['id']}"
        if endpoint.get("group"):
            return f"group:{endpoint['group']}"
    return f"message:{message.id}"


def opens_thread(message: OutboxMessage) -> bool:
    """Whether ``message`` is the first of its thread: an endpoint going offline opens an
    outage, whose thread no receiver has answered yet (so there is no reference to look up)."""
    return message.kind == "status_change" and message.variables.get("status") == "offline"


class Courier:
    """Sends the messages of one notifier."""

    def __init__(
        self,
        notifier: Notifier,
        store: Store,
        rules: DeliveryRules,
        on_dead: Callable[[OutboxMessage], Awaitable[None]],
        may_send: Callable[[], bool] = lambda: True,
    ) -> None:
        """``may_send`` is asked before each attempt: a cluster node that cannot be sure it
        still holds its lease sends nothing (the messages are another node's by now)."""
        self.notifier = notifier
        self.may_send = may_send
        self.store = store
        self.rules = rules
        self.on_dead = on_dead
        self.counts = DeliveryCounts()
        #: the messages waiting or under way, oldest first, per lane
        self._lanes: dict[str, deque[OutboxMessage]] = {}
        #: lanes whose first message may go now, in the order they became ready
        self._ready: deque[str] = deque()
        #: lanes whose first message waits for its retry time: (time, tie-breaker, lane)
        self._later: list[tuple[float, int, str]] = []
        self._ties = itertools.count()
        self._known: set[str] = set()
        self._sending: set[asyncio.Task[None]] = set()
        self._paused_until = 0.0
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        #: outcomes waiting for the store, each with the future its delivery awaits
        self._unrecorded: list[tuple[OutboxMessage, asyncio.Future[None]]] = []
        self._recording: asyncio.Task[None] | None = None

    @property
    def queued(self) -> int:
        """Messages waiting or under way."""
        return len(self._known)

    def start(self) -> None:
        self._task = asyncio.create_task(
            self._run(), name=f"notify-{self.notifier.name}"
        )

    def enqueue(self, message: OutboxMessage) -> None:
        """Queue ``message`` behind the others of its lane (once: a known id is ignored)."""
        if message.id in self._known:
            return
        self._known.add(message.id)
        lane = lane_of(message)
        waiting = self._lanes.get(lane)
        if waiting:
            waiting.append(message)
            return
        self._lanes[lane] = deque([message])
        self._schedule(lane)

    async def close(self) -> None:
        """Start no new attempt; wait for those under way to be stored (bounded by
        ``delivery_timeout`` plus a margin), then drop the queue: it stays in the outbox."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._sending:
            _, late = await asyncio.wait(
                set(self._sending), timeout=self.rules.timeout_s + CLOSE_MARGIN_S
            )
            for task in late:
                log.warning(
                    "notifier %s: an attempt was still under way at the stop",
                    self.notifier.name,
                )
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def deliver_now(self, notification: Notification) -> Receipt:
        """One delivery outside the outbox (``pulse notify test``), under the same timeout."""
        async with asyncio.timeout(self.rules.timeout_s):
            return await self.notifier.deliver(notification)

    # -- the dispatcher -----------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._closing:
            now = time.time()
            while self._later and self._later[0][0] <= now:
                self._ready.append(heapq.heappop(self._later)[2])
            wait_s = self._wait_s(now)
            if wait_s == 0.0:
                self._send(self._ready.popleft())
                continue
            self._wake.clear()
            try:
                async with asyncio.timeout(wait_s):
                    await self._wake.wait()
            except TimeoutError:
                pass

    def _wait_s(self, now: float) -> float | None:
        """0 when a message may go now, else how long until one may (None: until woken)."""
        if self._paused_until > now:
            return self._paused_until - now
        if len(self._sending) >= self.rules.concurrency:
            return None
        if self._ready:
            return 0.0
        return self._later[0][0] - now if self._later else None

    def _schedule(self, lane: str) -> None:
        due = self._lanes[lane][0].next_attempt_ts
        if due <= time.time():
            self._ready.append(lane)
        else:
            heapq.heappush(self._later, (due, next(self._ties), lane))
        self._wake.set()

    def _send(self, lane: str) -> None:
        task = asyncio.create_task(self._deliver(lane, self._lanes[lane][0]))
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._wake.set()

    async def _deliver(self, lane: str, message: OutboxMessage) -> None:
        try:
            outcome = await self._attempt(message)
        except Exception:  # the store failed: the message keeps its place
            log.exception("notifier %s: cannot record a delivery", self.notifier.name)
            outcome = dataclasses.replace(
                message, next_attempt_ts=time.time() + self.rules.backoff_initial_s
            )
        waiting = self._lanes[lane]
        if outcome.state is OutboxState.PENDING:
            waiting[0] = outcome
        else:
            waiting.popleft()
            self._known.discard(outcome.id)
            if not waiting:
                del self._lanes[lane]
                return
        self._schedule(lane)

    # -- recording outcomes -------------------------------------------------------------------
    async def _record(self, outcome: OutboxMessage) -> None:
        """Store ``outcome``; returns once it is stored. The outcomes of deliveries that end
        together are stored in one transaction (one write instead of one per message)."""
        stored = asyncio.get_running_loop().create_future()
        self._unrecorded.append((outcome, stored))
        if self._recording is None:
            self._recording = asyncio.create_task(self._record_all())
        await stored

    async def _record_all(self) -> None:
        while self._unrecorded:
            batch, self._unrecorded = self._unrecorded, []
            try:
                await self.store.update_messages([outcome for outcome, _ in batch])
            except Exception as error:
                for _, stored in batch:
                    if not stored.done():  # done: its delivery was cancelled meanwhile
                        stored.set_exception(error)
            else:
                for _, stored in batch:
                    if not stored.done():
                        stored.set_result(None)
        self._recording = None

    # -- one attempt --------------------------------------------------------------------------
    async def _attempt(self, message: OutboxMessage) -> OutboxMessage:
        now = time.time()
        if not self.may_send():
            return dataclasses.replace(message, next_attempt_ts=now + NOT_NOW_S)
        if now - message.created_ts > self.rules.max_age_s:
            reason = f"not delivered within max_age; last error: {message.last_error or 'none'}"
            return await self._finish_dead(message, now, reason)
        reference = (
            await self.store.thread_reference(self.notifier.name, message.thread_key)
            if message.thread_key and not opens_thread(message)
            else None
        )
        notification = Notification(
            message.id,
            cast(NotificationKind, message.kind),
            message.variables,
            message.thread_key,
            reference,
        )
        try:
            receipt = await self.deliver_now(notification)
        except DeliveryError as error:
            if error.rate_limited:
                return await self._pause(message, str(error), error.retry_after_s)
            return await self._failed(
                message, str(error), error.permanent, error.retry_after_s
            )
        except TimeoutError:
            reason = f"no answer within {self.rules.timeout_s:g} s"
            return await self._failed(message, reason, False, None)
        except (
            Exception
        ) as error:  # a bug in a notifier plugin: keep the message, say why
            log.exception("notifier %s failed", self.notifier.name)
            return await self._failed(
                message, f"notifier error: {error!r}", False, None
            )
        done = dataclasses.replace(
            message,
            state=OutboxState.DELIVERED,
            attempts=message.attempts + 1,
            last_attempt_ts=now,
            delivered_ts=time.time(),
            reference=receipt.reference,
        )
        await self._record(done)
        self.counts.delivered += 1
        log.info(
            "notifier %s delivered %s: %s",
            self.notifier.name,
            message.kind,
            receipt.detail,
        )
        return done

    async def _pause(
        self, message: OutboxMessage, reason: str, retry_after_s: float | None
    ) -> OutboxMessage:
        """The receiver limits the rate: nothing more goes to it until it said to retry."""
        now = time.time()
        pause_s = (
            retry_after_s if retry_after_s is not None else self.rules.backoff_initial_s
        )
        self._paused_until = max(self._paused_until, now + pause_s)
        self.counts.rate_limited += 1
        log.warning(
            "notifier %s: the receiver limits the rate (%s); pausing %.1f s",
            self.notifier.name,
            reason,
            pause_s,
        )
        waiting = dataclasses.replace(
            message, last_attempt_ts=now, last_error=reason, next_attempt_ts=now + pause_s
        )
        await self._record(waiting)
        return waiting

    async def _failed(
        self,
        message: OutboxMessage,
        reason: str,
        permanent: bool,
        retry_after_s: float | None,
    ) -> OutboxMessage:
        now = time.time()
        self.counts.failed_attempts += 1
        if permanent:
            return await self._finish_dead(message, now, reason, attempted=True)
        attempts = message.attempts + 1
        delay = (
            retry_after_s
            if retry_after_s is not None
            else self.rules.backoff_s(attempts)
        )
        log.warning(
            "notifier %s: delivery failed (%s); retry in %.1f s",
            self.notifier.name,
            reason,
            delay,
        )
        retry = dataclasses.replace(
            message,
            attempts=attempts,
            last_attempt_ts=now,
            last_error=reason,
            next_attempt_ts=now + delay,
        )
        await self._record(retry)
        return retry

    async def _finish_dead(
        self, message: OutboxMessage, now: float, reason: str, attempted: bool = False
    ) -> OutboxMessage:
        log.error(
            "notifier %s: %s given up: %s", self.notifier.name, message.kind, reason
        )
        dead = dataclasses.replace(
            message,
            state=OutboxState.DEAD,
            attempts=message.attempts + int(attempted),
            last_attempt_ts=now,
            last_error=reason,
        )
        await self._record(dead)
        self.counts.dead += 1
        await self.on_dead(dead)
        return dead
