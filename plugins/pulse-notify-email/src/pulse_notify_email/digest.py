"""``digest``: notifications gathered for a while, then sent as one email.

The first notification after a quiet spell opens a window of ``digest`` seconds; every
notification that arrives before it closes joins it, and when it closes one email lists them
all. A failure to send it is retried with backoff (passing) or logged and dropped
(permanent); closing the notifier sends what is gathered, once.

Gathered notifications count as delivered in the outbox when they join the window (the
courier needs an answer per notification), so a crash (``kill -9``) during a window loses
them: that is the price of fewer emails; use one email per change where every one matters.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pulse_core.contract import DeliveryError

log = logging.getLogger("pulse.email")

RETRY_INITIAL_S = 5.0
RETRY_MAX_S = 300.0
#: How long closing may spend sending the last digest.
FINAL_SEND_S = 10.0

Variables = Mapping[str, Any]
SendDigest = Callable[[list[Variables]], Awaitable[object]]


class Digest:
    def __init__(self, name: str, window_s: float, send: SendDigest) -> None:
        self.name = name
        self.window_s = window_s
        self._send = send
        self._gathered: list[Variables] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def gathered(self) -> int:
        return len(self._gathered)

    def add(self, variables: Variables) -> None:
        """Gather one notification; the first of a window starts its clock."""
        self._gathered.append(variables)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(
                self._send_later(), name=f"email-digest-{self.name}"
            )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._gathered:
            try:
                async with asyncio.timeout(FINAL_SEND_S):
                    await self._send(self._take())
            except (DeliveryError, TimeoutError) as error:
                log.error(
                    "notifier %s: the last digest was not sent: %s", self.name, error
                )

    def _take(self) -> list[Variables]:
        gathered, self._gathered = self._gathered, []
        return gathered

    async def _send_later(self) -> None:
        await asyncio.sleep(self.window_s)
        batch = self._take()
        backoff = RETRY_INITIAL_S
        while True:
            try:
                await self._send(batch)
                return
            except DeliveryError as error:
                if error.permanent:
                    log.error(
                        "notifier %s: a digest of %d notifications was refused: %s",
                        self.name,
                        len(batch),
                        error,
                    )
                    return
                log.warning(
                    "notifier %s: sending a digest failed (%s); retry in %.0f s",
                    self.name,
                    error,
                    backoff,
                )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, RETRY_MAX_S)
