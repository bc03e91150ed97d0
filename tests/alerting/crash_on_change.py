"""A test-only plugin: the process dies (``SIGKILL``) the moment its first status change
is stored, before any plugin, the alert engine included, hears of it.

It subscribes to the running Pulse's status changes, which the store writer's announcement feeds
synchronously right before it starts the ``pulse_status_changed`` calls: the waiting task
below is woken first, so no outbox write has begun when the process dies. Installed only
into the environment of the ``pulse run`` subprocesses that should crash
(:func:`tests.alerting.process_kit.crash_plugin_path`).
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import TYPE_CHECKING

from pulse_core import hookimpl

if TYPE_CHECKING:
    from pulse_core.contract import PulseView

_waiting: set[asyncio.Task[None]] = set()


@hookimpl
async def pulse_startup(app: PulseView) -> None:
    subscription = app.status_changes(queue_size=16)

    async def die_at_the_first_change() -> None:
        await subscription.next()
        os.kill(os.getpid(), signal.SIGKILL)

    _waiting.add(asyncio.create_task(die_at_the_first_change()))
