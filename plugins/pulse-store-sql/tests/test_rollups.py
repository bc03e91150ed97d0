"""Rollups while checks keep arriving: the backlog is worked off, not carried along, and
turns that add new checks make the buckets a recomputation makes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from pulse_core.models import CheckResult, Resolution
from pulse_core.testing.store_conformance import (
    ALPHA,
    BETA,
    DAY_START,
    EVER,
    GAMMA,
    GROUP,
    QUARTER_HOUR_S,
    add_catalog,
    counts,
    down,
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


async def _buckets(store: SqlStore) -> dict[tuple[str, Resolution, float], tuple[object, ...]]:
    found = {}
    for endpoint in (ALPHA, BETA, GAMMA):
        for resolution in Resolution:
            for bucket in await store.rollups(endpoint.id, resolution, *EVER):
                found[endpoint.id, resolution, bucket.bucket_ts] = counts(bucket)
    return found


@pytest.mark.asyncio
async def test_turns_that_add_new_checks_make_the_buckets_a_recomputation_makes(
    store: SqlStore, tmp_path: Path
) -> None:
    """Checks arrive in batches with a turn after each, across quarter hours, with down
    events at turn boundaries and checks that end after a later-begun check of another
    endpoint was counted; the buckets are those of one recomputation of all of them."""
    await store.sync_catalog([GROUP], [ALPHA, BETA, GAMMA])
    shuffled = random.Random(7)
    batches: list[list[CheckResult]] = []
    ts = DAY_START + 3 * QUARTER_HOUR_S - 95
    straggler: CheckResult | None = None
    for _ in range(40):
        batch = [] if straggler is None else [straggler]
        for endpoint in (ALPHA, BETA):
            make = up if shuffled.random() < 0.6 else down
            batch.append(make(ts + shuffled.random() * 4, endpoint=endpoint))
        # GAMMA's check begins first and ends last: written with the next batch
        straggler = (up if shuffled.random() < 0.5 else down)(ts - 1, endpoint=GAMMA)
        batches.append(batch)
        ts += 10
    batches.append([straggler])

    for batch in batches:
        await store.write_checks(batch)
        await store.update_rollups()
    recomputed = SqlStore(f"sqlite:///{tmp_path / 'recomputed.db'}")
    await recomputed.open()
    try:
        await recomputed.sync_catalog([GROUP], [ALPHA, BETA, GAMMA])
        await recomputed.write_checks([check for batch in batches for check in batch])
        await recomputed.update_rollups()
        assert await _buckets(store) == await _buckets(recomputed)
    finally:
        await recomputed.close()
