"""Waiting in tests for something real to happen (a check, a status change), without sleeps
tuned to one machine's speed."""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable, TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout_s: float = 20.0, every_s: float = 0.1
) -> T:
    """The first result of ``probe`` that is not ``None``; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"still nothing after {timeout_s:g} s")
        await asyncio.sleep(every_s)
