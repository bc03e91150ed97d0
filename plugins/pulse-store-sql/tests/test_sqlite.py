"""What SQLite needs beyond the store contract: WAL, a created directory, a big write
that blocks neither readers nor the event loop, and readers with a small page cache."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import Connection

from pulse_core.models import CheckResult, CheckStatus
from pulse_core.testing.store_conformance import ALPHA, DAY_START, add_catalog
from pulse_store_sql import SqlStore
from pulse_store_sql.database import SQLITE_READER_CACHE_KIB, SQLITE_WRITER_CACHE_KIB
from pulse_store_sql.store import READER_THREADS

#: Large enough that writing it takes a good fraction of a second.
BIG_BATCH = 100_000
#: The WAL file grows past this while the big batch is being written, before it commits.
WAL_BYTES_MID_WRITE = 1_000_000


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history" / "pulse.db"


@pytest_asyncio.fixture
async def store(db_path: Path) -> AsyncIterator[SqlStore]:
    store = SqlStore(f"sqlite:///{db_path}")
    await store.open()
    yield store
    await store.close()


@pytest.mark.asyncio
async def test_open_creates_the_directory_and_the_file(db_path: Path, store: SqlStore) -> None:
    assert db_path.is_file()


@pytest.mark.asyncio
async def test_database_is_in_wal_mode(db_path: Path, store: SqlStore) -> None:
    with sqlite3.connect(db_path) as connection:
        (journal_mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    assert journal_mode == "wal"


@pytest.mark.asyncio
async def test_big_write_blocks_neither_readers_nor_the_event_loop(
    db_path: Path, store: SqlStore
) -> None:
    await add_catalog(store)
    first = CheckResult(ALPHA.id, DAY_START, CheckStatus.UP, 1.0)
    await store.write_checks([first])
    big = [
        CheckResult(ALPHA.id, DAY_START + 1 + n / 100, CheckStatus.UP, 1.0)
        for n in range(BIG_BATCH)
    ]
    longest_tick_gap = 0.0

    async def tick() -> None:
        nonlocal longest_tick_gap
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            longest_tick_gap = max(longest_tick_gap, now - last)
            last = now

    ticker = asyncio.create_task(tick())
    write_started = time.perf_counter()
    writing = asyncio.create_task(store.write_checks(big))
    wal = db_path.with_name(db_path.name + "-wal")
    while wal.stat().st_size < WAL_BYTES_MID_WRITE:
        assert not writing.done(), "the batch was written before a read could overlap it"
        await asyncio.sleep(0.002)

    seen_mid_write = await store.checks(ALPHA.id, 0, 4e9)
    read_before_commit = not writing.done()
    await writing
    write_s = time.perf_counter() - write_started
    ticker.cancel()

    assert read_before_commit, "the read waited for the write to finish"
    assert seen_mid_write == [first]  # a reader sees what was committed, not half a batch
    assert len(await store.checks(ALPHA.id, 0, 4e9)) == BIG_BATCH + 1
    # Relative, not absolute, so a busy machine cannot fail it: a loop blocked by the write
    # would show one gap as long as the write itself.
    assert longest_tick_gap < write_s / 2, (longest_tick_gap, write_s)


def _cache_size(connection: Connection) -> int:
    value = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    assert isinstance(value, int)
    return value


@pytest.mark.asyncio
async def test_readers_have_a_smaller_page_cache_than_the_writer(store: SqlStore) -> None:
    """Every full cache is resident memory; the writer's pays for itself in packing, the
    readers' (API reads of mostly sequential ranges) would not."""
    runner = store._open_runner()
    readers = await asyncio.gather(*(runner.read(_cache_size) for _ in range(READER_THREADS)))
    assert readers == [-SQLITE_READER_CACHE_KIB] * READER_THREADS
    assert await runner.write(_cache_size) == -SQLITE_WRITER_CACHE_KIB
    assert SQLITE_READER_CACHE_KIB < SQLITE_WRITER_CACHE_KIB
