"""The bulk reads an export's worker process does on its own read-only connection: the same
pages as the store's own bulk reads, on both databases, and no writes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pulse_core.models import CheckResult, Endpoint, Resolution
from pulse_core.testing.store_conformance import (
    ALPHA,
    BETA,
    DAY_START,
    add_catalog,
    down,
    read_elsewhere,
    up,
)
from pulse_store_sql import SqlStore
from pulse_store_sql.process_reads import read_only_engine

HOUR_S = 3600


def three_hours(endpoint: Endpoint) -> list[CheckResult]:
    """A check a minute, down every 25th with one of two errors, without an RTT every 10th."""
    return [
        down(DAY_START + n * 60, ("timed out", "refused")[n // 90], endpoint) if n % 25 == 24
        else up(DAY_START + n * 60, None if n % 10 == 0 else 1 + n % 7 * 0.25, endpoint)
        for n in range(180)
    ]


@pytest_asyncio.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    store = SqlStore(database_url)
    await store.open()
    await add_catalog(store)
    await store.write_checks(three_hours(ALPHA) + three_hours(BETA))
    await store.update_rollups()  # packs the three hours into blocks
    await store.write_checks([up(DAY_START + HOUR_S + 0.5, 99.0)])  # a late row beside them
    await store.update_rollups()
    yield store
    await store.close()


@pytest.mark.asyncio
async def test_a_worker_reads_the_pages_the_store_hands_over(store: SqlStore) -> None:
    ids = [BETA.id, ALPHA.id, "not-stored"]
    for start, end in [(DAY_START, DAY_START + 3 * HOUR_S), (DAY_START + 1000.5, DAY_START + 9000)]:
        expected = [page async for page in store.check_rows_many(ids, start, end, page_rows=40)]
        read = read_elsewhere(store.bulk_read_source(ids, None, start, end, page_rows=40))
        assert len(expected) > 4 and read == expected
    for resolution in Resolution:
        start, end = DAY_START - 86_400, DAY_START + 86_400
        expected = [
            page async for page in store.rollup_rows_many(ids, resolution, start, end, page_rows=5)
        ]
        read = read_elsewhere(store.bulk_read_source(ids, resolution, start, end, page_rows=5))
        assert expected and read == expected


@pytest.mark.asyncio
async def test_a_worker_connection_cannot_write(store: SqlStore) -> None:
    source = store.bulk_read_source([ALPHA.id], None, DAY_START, DAY_START + 60)
    assert source is not None
    engine = read_only_engine(source.url)
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError, match="read-?only"):
            connection.execute(text("DELETE FROM check_errors"))
    finally:
        engine.dispose()


class HistoryElsewhere(SqlStore):
    """A store whose history is read its own way: its reads are not the SQL store's."""

    async def check_rows_many(self, *args: Any, **kwargs: Any) -> AsyncIterator[list[Any]]:
        async for page in super().check_rows_many(*args, **kwargs):
            yield page


@pytest.mark.asyncio
async def test_a_store_reading_its_history_elsewhere_keeps_exports_in_process(
    database_url: str,
) -> None:
    store = HistoryElsewhere(database_url)
    await store.open()
    try:
        assert store.bulk_read_source([ALPHA.id], None, DAY_START, DAY_START + 60) is None
    finally:
        await store.close()
