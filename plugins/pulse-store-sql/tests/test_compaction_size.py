"""The goal of compact raw history (docs/performance.md): at most 8 bytes on disk per check
in SQLite, everything included (rollups too), on realistic checks. Sizes are deterministic,
so this is a test, not a benchmark; ``bench/storage.py`` measures a whole day and compares
with a row per check."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulse_core.models import CheckResult, Group
from pulse_core.testing.store_conformance import DAY_START
from pulse_store_sql import SqlStore
from pulse_store_sql.sample_history import sample_endpoints, sample_rounds, vacuumed_bytes

ENDPOINTS = 100
#: Six hours keep the test short; a day's daily rollup row then weighs four times as much.
HOURS = 6
INTERVAL_MS = 10_000
#: Rounds of checks per write: 5,000 checks, about what the engine's writer hands over.
ROUNDS_PER_WRITE = 50
GOAL_BYTES_PER_CHECK = 8


@pytest.mark.asyncio
async def test_100_endpoints_take_at_most_8_bytes_per_check(tmp_path: Path) -> None:
    path = tmp_path / "pulse.db"
    store = SqlStore(f"sqlite:///{path}")
    await store.open()
    endpoints = sample_endpoints(ENDPOINTS, "plant")
    await store.sync_catalog([Group(id="plant", name="Plant")], endpoints)
    start_ms = round(DAY_START * 1000)
    end_ms = start_ms + HOURS * 3_600_000
    written = 0
    batch: list[CheckResult] = []
    for number, checks in enumerate(
        sample_rounds(endpoints, start_ms, end_ms, INTERVAL_MS), start=1
    ):
        batch += checks
        if number % ROUNDS_PER_WRITE == 0:
            await store.write_checks(batch)
            written, batch = written + len(batch), []
    await store.write_checks(batch)
    written += len(batch)
    await store.update_rollups()
    newest = await store.checks(endpoints[-1].id, DAY_START, end_ms / 1000, limit=1)
    await store.close()

    assert written == ENDPOINTS * (end_ms - start_ms) // INTERVAL_MS
    assert newest[0].ts > end_ms / 1000 - 11
    assert vacuumed_bytes(path) / written <= GOAL_BYTES_PER_CHECK
