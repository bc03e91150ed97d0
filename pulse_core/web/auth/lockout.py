"""Locking a username after repeated wrong passwords.

Counted per username as typed, whether or not such a user exists, so the answers never tell
an attacker which usernames are real. Kept in memory: a restart forgets the failures, and
the per-client rate limit bounds how fast anyone can try.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_FAILURES = 5
LOCK_SECONDS = 30 * 60
#: Usernames tracked at most; the oldest unlocked ones are forgotten first beyond that.
MAX_TRACKED = 10_000


@dataclass(slots=True)
class _Failures:
    count: int
    first_ts: float
    locked_until: float | None = None


class LoginLockout:
    """``MAX_FAILURES`` wrong passwords within ``LOCK_SECONDS`` lock the username for
    ``LOCK_SECONDS``; a right one clears its count."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def seconds_locked(self, username: str) -> float | None:
        """How long ``username`` stays locked, or ``None`` if it may try now."""
        entry = self._failures.get(username)
        if entry is None or entry.locked_until is None:
            return None
        left = entry.locked_until - self._clock()
        if left <= 0:
            del self._failures[username]
            return None
        return left

    def failed(self, username: str) -> None:
        now = self._clock()
        entry = self._failures.pop(username, None)
        if entry is None or now - entry.first_ts > LOCK_SECONDS:
            entry = _Failures(0, now)
        entry.count += 1
        if entry.count >= MAX_FAILURES:
            entry.locked_until = now + LOCK_SECONDS
        self._failures[username] = entry
        self._forget_beyond_limit()

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)

    def _forget_beyond_limit(self) -> None:
        if len(self._failures) <= MAX_TRACKED:
            return
        for username, entry in list(self._failures.items()):
            if entry.locked_until is None:
                del self._failures[username]
                if len(self._failures) <= MAX_TRACKED:
                    return
