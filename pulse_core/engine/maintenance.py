"""Background upkeep of the store: rollups and retention, and of this process's memory.

Rollups are brought up to date every ``rollup_every_s``; raw checks older than the retention
period are deleted in small batches with a pause in between, so pruning a large backlog never
holds the database long enough to delay the writer. After each turn the heap that nothing
uses goes back to the system.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from pulse_core.engine.long_lived import release_freed_memory
from pulse_core.store import Store

log = logging.getLogger("pulse.maintenance")

DAY_S = 86_400.0


async def prune_expired(
    store: Store, retention_days: int, batch_size: int = 5000, pause_s: float = 0.05
) -> int:
    """Delete every check older than the retention period; return how many."""
    before = time.time() - retention_days * DAY_S
    total = 0
    while True:
        deleted = await store.prune_checks(before, batch_size)
        total += deleted
        if deleted < batch_size:
            return total
        await asyncio.sleep(pause_s)


async def run_maintenance(
    store: Store,
    retention_days: int,
    rollup_every_s: float = 60.0,
    prune_every_s: float = 3600.0,
    may_run: Callable[[], Awaitable[bool]] | None = None,
) -> None:
    """Run until cancelled. A failure is logged and retried at the next turn. ``may_run``
    is asked at each turn: in a cluster, one node at a time does the upkeep."""
    last_prune = 0.0
    while True:
        try:
            if may_run is None or await may_run():
                await store.update_rollups()
                if time.monotonic() - last_prune >= prune_every_s:
                    pruned = await prune_expired(store, retention_days)
                    last_prune = time.monotonic()
                    if pruned:
                        log.info(
                            "retention: %d checks older than %d days deleted",
                            pruned, retention_days,
                        )
        except Exception as exc:
            log.error("store maintenance failed, will retry: %s", exc)
        release_freed_memory()
        await asyncio.sleep(rollup_every_s)
