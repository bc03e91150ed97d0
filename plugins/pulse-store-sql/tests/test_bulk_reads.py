"""Bulk reads of packed history on both databases: pages of many endpoints read the same
checks as one endpoint at a time, error texts included when a later page first names one."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from pulse_core.models import CheckResult, Endpoint, Resolution
from pulse_core.testing.store_conformance import ALPHA, BETA, DAY_START, add_catalog, down, up
from pulse_store_sql import SqlStore

HOUR_S = 3600


@pytest_asyncio.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    store = SqlStore(database_url)
    await store.open()
    await add_catalog(store)
    yield store
    await store.close()


def three_hours(endpoint: Endpoint) -> list[CheckResult]:
    """A check every 7 s, down every 50th: "timed out" in the first two hours, "refused" (an
    error text no earlier page holds) in the third; without an RTT every 40th."""
    written = []
    for n in range(3 * HOUR_S // 7):
        ts = DAY_START + n * 7 + (n % 3) * 0.001
        if n % 50 == 49:
            error = "timed out" if ts < DAY_START + 2 * HOUR_S else "refused"
            written.append(down(ts, error, endpoint))
        else:
            written.append(up(ts, None if n % 40 == 0 else 1 + n % 13 * 0.125, endpoint))
    return written


@pytest.mark.asyncio
async def test_pages_of_packed_checks_read_what_each_endpoint_holds(store: SqlStore) -> None:
    await store.write_checks(three_hours(ALPHA) + three_hours(BETA))
    await store.update_rollups()  # packs the three hours into blocks
    await store.write_checks([up(DAY_START + HOUR_S + 0.5, 99.0)])  # a late row beside them
    ids = [BETA.id, ALPHA.id]
    ranges = [(DAY_START, DAY_START + 3 * HOUR_S), (DAY_START + 1000.5, DAY_START + 2.5 * HOUR_S)]
    for start, end in ranges:
        expected = [
            check for endpoint_id in ids for check in await store.checks(endpoint_id, start, end)
        ]
        pages = [page async for page in store.checks_many(ids, start, end, page_rows=300)]
        assert len(pages) > 4
        assert [check for page in pages for check in page] == expected
    assert {check.error for check in expected} == {None, "timed out", "refused"}


@pytest.mark.asyncio
async def test_rollup_runs_are_left_to_the_collector_to_untrack(store: SqlStore) -> None:
    """A run's buckets are a tuple of tuples of numbers, which the garbage collector stops
    tracking (a level of tuples per pass: rows, their tuple, the run), where a list stays
    tracked until freed: pages in flight during an export barely reach its oldest
    generation."""
    await store.write_checks(
        [up(DAY_START + n * 600, 5.0 + n, point) for point in (ALPHA, BETA) for n in range(12)]
    )
    await store.update_rollups()
    pages = [
        page async for page in store.rollup_rows_many(
            [ALPHA.id, BETA.id], Resolution.QUARTER_HOUR, DAY_START, DAY_START + 7200
        )
    ]
    runs = [run for page in pages for run in page]
    assert [(endpoint_id, len(rows)) for endpoint_id, rows in runs] == [(ALPHA.id, 8), (BETA.id, 8)]
    for _ in range(3):
        gc.collect()
    assert not any(gc.is_tracked(run) for run in runs)
