"""Requests per minute for each caller: a token bucket per API key, user or client address.

A bucket holds up to ``burst`` tokens and gains ``per_minute / 60`` a second; a request takes
one. Buckets live in memory and a full one is worth nothing, so full buckets are dropped
whenever there are many.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

#: Buckets kept before the full ones are swept out.
SWEEP_ABOVE = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``per_minute`` of 0 turns limiting off."""

    def __init__(
        self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def wait_seconds(self, caller: str) -> float | None:
        """Take a token for ``caller``: ``None`` if there was one, else how long until there is."""
        if self._rate == 0:
            return None
        now = self._clock()
        bucket = self._buckets.get(caller)
        if bucket is None:
            if len(self._buckets) >= SWEEP_ABOVE:
                self._sweep_full(now)
            bucket = self._buckets[caller] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self._rate

    def _sweep_full(self, now: float) -> None:
        self._buckets = {
            caller: bucket
            for caller, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * self._rate < self._burst
        }
