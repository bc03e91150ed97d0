"""The upkeep role: rollups brought up to date, closed hours packed, old checks pruned.

It drives the modules that own that work (``rollups``, ``compaction``, ``checks``) through
the store's runner, a transaction at a time, so writes of new checks run in between.
"""

from __future__ import annotations

import time
from functools import partial

from pulse_core.contract import Upkeep

from pulse_store_sql import checks, compaction, rollups
from pulse_store_sql.millis import to_ms
from pulse_store_sql.runner import DatabaseRole


class SqlUpkeep(Upkeep, DatabaseRole):
    """Upkeep of the tables of the SQL store's history."""

    async def update_rollups(self) -> int:
        """Also packs the checks of the hours now rolled up into blocks (``compaction``)."""
        written = 0
        until_ms = await self._read(rollups.backlog_end)
        if until_ms is not None:
            # One transaction per slice (a day at most), so writes of new checks run between.
            roll_up_slice = partial(rollups.roll_up_oldest_slice, until_ms=until_ms)
            while (slice_written := await self._write(roll_up_slice)) is not None:
                written += slice_written
        await compaction.pack_closed_hours(self._open_runner(), to_ms(time.time()))
        return written

    async def prune_checks(self, before: float, batch_size: int) -> int:
        before_ms = to_ms(before)
        return await self._write(
            lambda connection: checks.prune(connection, before_ms, batch_size)
        )
