"""``mode: checks``: every check's event on its way to HEC, outside the outbox.

A check is already in the store, and there are thousands a minute, so their events do not go
through the durable outbox: they wait in memory (at most :data:`MAX_QUEUED`; past that the
oldest are dropped, loudly) and one task sends them in batches of :data:`BATCH_EVENTS`. A
passing failure keeps the batch and retries with backoff (``Retry-After`` honoured); a
permanent one (a bad token, an index the token may not write) drops the batch with an error
in the log, and the next batch is tried after a pause. Closing sends what is left, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from pulse_core.contract import DeliveryError

log = logging.getLogger("pulse.splunk")

MAX_QUEUED = 100_000
BATCH_EVENTS = 1000
RETRY_INITIAL_S = 1.0
RETRY_MAX_S = 60.0
#: How long closing may spend sending what is left.
FINAL_FLUSH_S = 5.0

SendEvents = Callable[[list[dict[str, Any]]], Awaitable[object]]


class CheckStream:
    def __init__(self, name: str, send: SendEvents) -> None:
        self.name = name
        self.dropped = 0
        self._send = send
        self._queue: deque[dict[str, Any]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"splunk-checks-{self.name}")

    def add(self, events: list[dict[str, Any]]) -> None:
        """Queue events without waiting (called from the ``pulse_checks_stored`` hook)."""
        self._queue.extend(events)
        overflow = len(self._queue) - MAX_QUEUED
        if overflow > 0:
            for _ in range(overflow):
                self._queue.popleft()
            self.dropped += overflow
            log.error(
                "notifier %s: HEC is not keeping up, %d check events dropped so far",
                self.name,
                self.dropped,
            )
        self._wake.set()

    async def close(self) -> None:
        """Stop the sending task, then send what is queued (once, within FINAL_FLUSH_S)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            async with asyncio.timeout(FINAL_FLUSH_S):
                while self._queue:
                    await self._send(self._take_batch())
        except (DeliveryError, TimeoutError) as error:
            log.error(
                "notifier %s: %d check events not sent at shutdown: %s",
                self.name,
                len(self._queue),
                error or "no answer in time",
            )

    def _take_batch(self) -> list[dict[str, Any]]:
        return [
            self._queue.popleft() for _ in range(min(BATCH_EVENTS, len(self._queue)))
        ]

    async def _run(self) -> None:
        backoff = RETRY_INITIAL_S
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = self._take_batch()
            try:
                await self._send(batch)
            except DeliveryError as error:
                if error.permanent:
                    log.error(
                        "notifier %s: %d check events refused and dropped: %s",
                        self.name,
                        len(batch),
                        error,
                    )
                else:
                    self._queue.extendleft(reversed(batch))
                    log.warning(
                        "notifier %s: sending check events failed (%s); retry in %.0f s",
                        self.name,
                        error,
                        error.retry_after_s or backoff,
                    )
                await asyncio.sleep(error.retry_after_s or backoff)
                backoff = min(backoff * 2, RETRY_MAX_S)
                continue
            backoff = RETRY_INITIAL_S
