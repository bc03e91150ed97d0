"""Rollups while checks keep arriving: the backlog is worked off, not carried along."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from pulse_core.models import Resolution
from pulse_core.testing.store_conformance import (
    ALPHA,
    DAY_START,
    EVER,
    QUARTER_HOUR_S,
    add_catalog,
    up,
)
from pulse_store_sql import SqlStore


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = SqlStore(f"sqlite:///{tmp_path / 'pulse.db'}")
    await store.open()
    await add_catalog(store)
    yield store
    await store.close()


@pytest.mark.asyncio
async def test_each_run_recomputes_only_recent_buckets_while_checks_arrive(
    store: SqlStore,
) -> None:
    written_per_run = []
    for n in range(8):
        written, _ = await asyncio.gather(
            store.update_rollups(), store.write_checks([up(DAY_START + n * QUARTER_HOUR_S + 1)])
        )
        written_per_run.append(written)
    written_per_run.append(await store.update_rollups())

    # At most the previous and the current quarter-hour, and their day: never the history.
    assert max(written_per_run) <= 4
    assert await store.update_rollups() == 0
    quarter_hours = await store.rollups(ALPHA.id, Resolution.QUARTER_HOUR, *EVER)
    assert [bucket.total for bucket in quarter_hours] == [1] * 8
    (day,) = await store.rollups(ALPHA.id, Resolution.DAILY, *EVER)
    assert day.total == 8


@pytest.mark.asyncio
async def test_a_backlog_of_several_days_is_worked_off_in_one_run(store: SqlStore) -> None:
    await store.write_checks([up(DAY_START + day * 86_400 + 60) for day in range(3)])
    assert await store.update_rollups() == 6  # a quarter-hour and a day, three times
    days = await store.rollups(ALPHA.id, Resolution.DAILY, *EVER)
    assert [day.bucket_ts - DAY_START for day in days] == [0, 86_400, 2 * 86_400]
