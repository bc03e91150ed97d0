"""Delivery of one notifier's messages from the outbox, with retries.

One ``Courier`` (one task) per notifier sends its messages one at a time, in the order they
were queued, so a recovery always follows the outage it closes (and finds the reference the
first message got). Every attempt runs under ``delivery_timeout``: a receiver that hangs
delays only its own notifier, never another one nor the monitor.

Outcomes, each written to the store in one update:

- delivered: the message is marked ``delivered`` with the receiver's reference;
- a passing failure (timeout, 429, 5xx, refused connection): retried after an exponential
  backoff with jitter, or after the receiver's ``Retry-After`` when it sent one;
- a permanent failure (400, 401, a refused destination) or a message older than
  ``max_age``: marked ``dead`` (a dead letter, listed by the API) and handed to
  ``on_dead`` (which queues it for the fallback notifier, if any).

Delivery is at-least-once: a crash between the receiver's answer and the update that marks
the message delivered sends it again after the restart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
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


@dataclass(frozen=True)
class DeliveryRules:
    max_age_s: float
    timeout_s: float
    backoff_initial_s: float
    backoff_max_s: float

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


class Courier:
    """Sends the messages of one notifier."""

    def __init__(
        self,
        notifier: Notifier,
        store: Store,
        rules: DeliveryRules,
        on_dead: Callable[[OutboxMessage], Awaitable[None]],
    ) -> None:
        self.notifier = notifier
        self.store = store
        self.rules = rules
        self.on_dead = on_dead
        self._queue: deque[OutboxMessage] = deque()
        self._wake = asyncio.Event()
        self.counts = DeliveryCounts()

    @property
    def queued(self) -> int:
        return len(self._queue)

    def enqueue(self, message: OutboxMessage) -> None:
        self._queue.append(message)
        self._wake.set()

    async def run(self) -> None:
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            message = self._queue[0]
            delay = message.next_attempt_ts - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                outcome = await self._attempt(message)
            except Exception:  # the store failed: the message stays first in line
                log.exception(
                    "notifier %s: cannot record a delivery", self.notifier.name
                )
                await asyncio.sleep(self.rules.backoff_initial_s)
                continue
            self._queue.popleft()
            if outcome.state is OutboxState.PENDING:
                self._queue.appendleft(outcome)

    async def deliver_now(self, notification: Notification) -> Receipt:
        """One delivery outside the outbox (``pulse notify test``), under the same timeout."""
        async with asyncio.timeout(self.rules.timeout_s):
            return await self.notifier.deliver(notification)

    async def _attempt(self, message: OutboxMessage) -> OutboxMessage:
        now = time.time()
        if now - message.created_ts > self.rules.max_age_s:
            reason = f"not delivered within max_age; last error: {message.last_error or 'none'}"
            return await self._finish_dead(message, now, reason)
        reference = (
            await self.store.thread_reference(self.notifier.name, message.thread_key)
            if message.thread_key
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
        await self.store.update_message(done)
        self.counts.delivered += 1
        log.info(
            "notifier %s delivered %s: %s",
            self.notifier.name,
            message.kind,
            receipt.detail,
        )
        return done

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
        await self.store.update_message(retry)
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
        await self.store.update_message(dead)
        self.counts.dead += 1
        await self.on_dead(dead)
        return dead
