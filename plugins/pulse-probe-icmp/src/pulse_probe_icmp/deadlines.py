"""Timeouts for thousands of pings without a task or a timer handle per ping.

Deadlines wait in a heap and a single loop timer is armed for the earliest one. An entry is
never removed when its ping is answered (that would cost a heap search per reply): when its
time comes, the owner's callback finds the ping already settled and ignores it. Nor is the
timer armed again for an entry whose pings are all settled by then (``settled``): where
every ping is answered at once, the entries of a whole timeout's worth of sends are dropped
in one firing, not each in a firing of its own (a timer handle and a wake-up of the loop
every 10 ms tick).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")

#: The loop runs a timer up to one clock tick early; a deadline that close counts as due.
CLOCK_RESOLUTION_S = time.get_clock_info("monotonic").resolution


class DeadlineQueue(Generic[Item]):
    """Calls ``on_expired(item)`` once each item's deadline (in ``loop.time()``) has passed,
    unless ``settled(item)`` said at an earlier firing that it need not wait any more (then
    the item is dropped)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_expired: Callable[[Item], None],
        settled: Callable[[Item], bool] = lambda item: False,
    ) -> None:
        self._loop = loop
        self._on_expired = on_expired
        self._settled = settled
        self._heap: list[tuple[float, int, Item]] = []
        self._tiebreak = itertools.count()  # items themselves are never compared
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, deadline: float, item: Item) -> None:
        heapq.heappush(self._heap, (deadline, next(self._tiebreak), item))
        if self._timer is None or deadline < self._timer.when():
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(deadline, self._expire_due)

    def clear(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._heap.clear()

    def _expire_due(self) -> None:
        self._timer = None
        heap = self._heap
        now = self._loop.time() + CLOCK_RESOLUTION_S
        while heap and heap[0][0] <= now:
            self._on_expired(heapq.heappop(heap)[2])
        while heap and self._settled(heap[0][2]):
            heapq.heappop(heap)
        if heap and self._timer is None:  # ``on_expired`` may have added and armed already
            self._timer = self._loop.call_at(heap[0][0], self._expire_due)
