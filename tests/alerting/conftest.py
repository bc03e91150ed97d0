"""Shared pieces of the alerting tests: a configuration around one TCP target, and waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from pulse_core.testing.notifier_conformance import LOOPBACK_OUTBOUND, one_target_yaml

#: Loopback receivers on plain http are allowed in every test configuration.
OUTBOUND = LOOPBACK_OUTBOUND

#: One TCP target on loopback that turns over after a single check each way.
pulse_yaml = one_target_yaml


async def eventually(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
