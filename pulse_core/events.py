"""An in-process event bus: the monitor publishes, live clients (WebSocket, SSE) subscribe.

Publishing is a plain synchronous call that never waits: the monitor must never be held up
by whoever listens. Each subscriber gets a bounded queue instead; one that lets its queue
fill up is not waited for but dropped, and finds out the next time it asks for an event, so
its consumer can close its connection with a reason (the client then reconnects and starts
again from a snapshot, or resumes from the replay buffer).

Every event gets an increasing id, and the last ``replay_size`` events are kept so that a
client that reconnects (SSE's ``Last-Event-ID``) can be sent what it missed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

log = logging.getLogger("pulse.events")

T = TypeVar("T")


def _accept_everything(payload: object) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Event(Generic[T]):
    id: int
    payload: T


class SubscriberDropped(Exception):
    """The subscriber's queue was full when an event was published: it fell behind."""


class Subscription(Generic[T]):
    """One subscriber's bounded queue. Use it as a context manager so it always leaves the bus."""

    def __init__(
        self, bus: EventBus[T], queue_size: int, accepts: Callable[[T], bool]
    ) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[Event[T]] = asyncio.Queue(queue_size)
        self._dropped = asyncio.Event()
        self.accepts = accepts

    @property
    def dropped(self) -> bool:
        return self._dropped.is_set()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def offer(self, event: Event[T]) -> bool:
        """Queue ``event`` without waiting; False when the queue is full."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    def mark_dropped(self) -> None:
        self._dropped.set()

    async def next(self) -> Event[T]:
        """The next event; raises :class:`SubscriberDropped` once the subscriber fell behind,
        even while older events are still queued (they no longer describe a complete story)."""
        if self.dropped:
            raise SubscriberDropped(f"fell more than {self._queue.maxsize} events behind")
        return await self._queue.get()

    async def wait_dropped(self) -> None:
        await self._dropped.wait()

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def __enter__(self) -> Subscription[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class EventBus(Generic[T]):
    """Fan-out of published payloads to subscribers, on one event loop (not thread-safe)."""

    def __init__(self, replay_size: int = 1000, first_id: int | None = None) -> None:
        # Ids start from the clock (microseconds) unless given, so an id a client remembers
        # from before a restart is older than any id of this run and never matches by chance.
        self._last_id = (time.time_ns() // 1000 if first_id is None else first_id) - 1
        self._replay: deque[Event[T]] = deque(maxlen=replay_size)
        self._subscribers: list[Subscription[T]] = []

    @property
    def last_id(self) -> int:
        """The id of the latest published event (one less than the first id before any)."""
        return self._last_id

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def subscribe(
        self, queue_size: int, accepts: Callable[[T], bool] = _accept_everything
    ) -> Subscription[T]:
        """A new subscriber that receives every later payload ``accepts`` lets through."""
        subscription = Subscription(self, queue_size, accepts)
        self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription[T]) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    def publish(self, payload: T) -> Event[T]:
        """Hand ``payload`` to every subscriber now; subscribers with a full queue are dropped."""
        self._last_id += 1
        event = Event(self._last_id, payload)
        self._replay.append(event)
        for subscription in list(self._subscribers):
            try:
                wanted = subscription.accepts(payload)
            except Exception:
                log.exception("a subscriber's filter failed; the subscriber is dropped")
                self._drop(subscription)
                continue
            if wanted and not subscription.offer(event):
                log.warning(
                    "a live client fell %d events behind and is disconnected",
                    subscription.pending,
                )
                self._drop(subscription)
        return event

    def replay_after(self, event_id: int) -> list[Event[T]] | None:
        """The kept events after ``event_id``, or None when that id is not from this run or
        events after it are no longer kept (the caller must start again from a snapshot)."""
        if event_id > self._last_id:
            return None
        oldest_kept = self._replay[0].id if self._replay else self._last_id + 1
        if event_id + 1 < oldest_kept:
            return None
        return [event for event in self._replay if event.id > event_id]

    def _drop(self, subscription: Subscription[T]) -> None:
        self.unsubscribe(subscription)
        subscription.mark_dropped()
