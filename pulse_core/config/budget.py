"""A deadline and a stop switch for reading a configuration in a worker thread.

A configuration applied through the API is read in a worker thread, so the server keeps
answering meanwhile. Python cannot stop a thread from outside, and a caller that gives up
(a closed connection) cancels only the coroutine waiting for it; so the reader asks its
:class:`Budget` between steps (every few thousand YAML values, every target) and stops with
a :class:`~pulse_core.config.errors.ConfigError` once the time is up or nobody waits.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pulse_core.config.errors import ConfigError, ConfigIssue
from pulse_core.config.limits import VALIDATION_SECONDS
from pulse_core.config.load import load_config
from pulse_core.config.model import PulseConfig

ResultT = TypeVar("ResultT")


class Budget:
    """How long a load may still run, and whether its caller still waits."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._deadline = time.monotonic() + seconds
        self._stopped = threading.Event()

    def stop(self) -> None:
        """The caller left: the load stops at its next :meth:`check`."""
        self._stopped.set()

    def check(self) -> None:
        """Raise :class:`ConfigError` if the load must stop."""
        if self._stopped.is_set():
            self._fail("reading the configuration was stopped: the caller went away")
        if time.monotonic() > self._deadline:
            self._fail(
                f"reading the configuration took longer than {self.seconds:g} s, the most "
                "allowed: make it smaller (fewer targets, smaller ranges)"
            )

    @staticmethod
    def _fail(message: str) -> None:
        raise ConfigError([ConfigIssue("", message)])


async def load_in_worker(
    text: str, *, budget: Budget | None = None, **options: Any
) -> PulseConfig:
    """:func:`~pulse_core.config.load_config` in a worker thread, stopped when ``budget``
    (default :data:`~pulse_core.config.limits.VALIDATION_SECONDS`) is spent or as soon as
    the awaiting task is cancelled (a client that disconnected)."""
    return await in_worker(load_config, text, budget=budget, **options)


async def in_worker(
    read: Callable[..., ResultT], *args: Any, budget: Budget | None = None, **options: Any
) -> ResultT:
    """``read(*args, budget=..., **options)`` in a worker thread, under ``budget`` as for
    :func:`load_in_worker` (``read`` checks it between its steps)."""
    budget = budget or Budget(VALIDATION_SECONDS)
    try:
        return await asyncio.to_thread(read, *args, budget=budget, **options)
    except asyncio.CancelledError:
        budget.stop()
        raise
