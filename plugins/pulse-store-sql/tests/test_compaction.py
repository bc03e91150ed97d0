"""Packed history on both databases: checks read back the same wherever they lie, ranges
and limits cut across blocks and recent rows, rollups and retention stay exact."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
import pytest_asyncio
from sqlalchemy import Connection, func, select

from pulse_core.models import CheckResult, CheckStatus, EndpointSnapshot, Resolution, State
from pulse_core.testing.store_conformance import (
    ALPHA,
    BETA,
    DAY_START,
    EVER,
    QUARTER_HOUR_S,
    add_catalog,
    down,
    up,
)
from pulse_store_sql import SqlStore, compaction
from pulse_store_sql.database import create_database_engine, database_url
from pulse_store_sql.tables import check_blocks, checks

HOUR_S = 3600


@pytest_asyncio.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    store = SqlStore(database_url)
    await store.open()
    await add_catalog(store)
    yield store
    await store.close()


@contextmanager
def connected(url: str) -> Iterator[Connection]:
    """A connection of the test's own to the store's database, to look at its tables."""
    engine = create_database_engine(database_url(url), connections=1)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def where_checks_lie(url: str) -> tuple[int, int]:
    """How many recent rows and how many blocks the database holds."""
    with connected(url) as connection:
        rows = connection.execute(select(func.count()).select_from(checks)).scalar_one()
        blocks = connection.execute(select(func.count()).select_from(check_blocks)).scalar_one()
    return rows, blocks


def every_7_s(start: float, hours: int) -> list[CheckResult]:
    """A check every 7 s (not a divisor of an hour, so blocks start at varying offsets),
    down with an error every 50th, without an RTT every 40th."""
    written = []
    for n in range(hours * HOUR_S // 7):
        ts = start + n * 7 + (n % 3) * 0.001
        if n % 50 == 49:
            written.append(down(ts, error="timed out"))
        else:
            written.append(up(ts, None if n % 40 == 0 else 1 + n % 13 * 0.125))
    return written


@pytest.mark.asyncio
async def test_every_field_reads_back_the_same_before_and_after_packing(
    store: SqlStore, database_url: str
) -> None:
    written = [
        CheckResult(ALPHA.id, DAY_START + 0.001, CheckStatus.UP, 0.1234567, None),
        CheckResult(ALPHA.id, DAY_START + 9.999, CheckStatus.UP, None, None),
        CheckResult(ALPHA.id, DAY_START + 20.5, CheckStatus.DOWN, 1500.2504, "HTTP 503"),
        CheckResult(ALPHA.id, DAY_START + 30, CheckStatus.DOWN, None, "délai dépassé ⏱"),
        CheckResult(ALPHA.id, DAY_START + 40, CheckStatus.UP, 0.0, ""),
        CheckResult(ALPHA.id, DAY_START + 50, CheckStatus.UP, 86_400_000.001, None),
    ]
    # RTTs are kept to the microsecond, from the moment they are written.
    expected = [
        CheckResult(ALPHA.id, DAY_START + 0.001, CheckStatus.UP, 0.123, None),
        written[1],
        CheckResult(ALPHA.id, DAY_START + 20.5, CheckStatus.DOWN, 1500.25, "HTTP 503"),
        *written[3:],
    ]
    await store.write_checks(written)
    assert await store.checks(ALPHA.id, *EVER) == expected
    assert where_checks_lie(database_url) == (6, 0)

    await store.update_rollups()

    assert where_checks_lie(database_url) == (0, 1)
    assert await store.checks(ALPHA.id, *EVER) == expected


@pytest.mark.asyncio
async def test_ranges_and_limits_across_blocks_and_recent_rows(
    store: SqlStore, database_url: str
) -> None:
    packed = every_7_s(DAY_START, hours=3)
    await store.write_checks(packed + [up(DAY_START + 10, endpoint=BETA)])
    await store.update_rollups()
    # A late check into a packed hour, and checks of an hour still open, stay rows.
    late = up(DAY_START + HOUR_S + 0.5, 99.0)
    now = float(round(time.time()))  # whole seconds: stored as they are
    current = [up(now - 2), down(now - 1)]
    await store.write_checks([late, *current])
    assert where_checks_lie(database_url) == (3, 4)
    everything = sorted([*packed, late, *current], key=lambda check: check.ts)

    edges = [DAY_START + offset for offset in (0, 6.999, 7, HOUR_S - 0.001, HOUR_S, HOUR_S + 0.5)]
    edges += [DAY_START + offset for offset in (2 * HOUR_S + 1, 3 * HOUR_S + 3600)]
    edges += [now - 1.5, *EVER]
    for start in edges:
        for end in edges:
            expected = [check for check in everything if start <= check.ts < end]
            assert await store.checks(ALPHA.id, start, end) == expected, (start, end)
            for limit in (1, 2, 360, 600, 5000):
                found = await store.checks(ALPHA.id, start, end, limit=limit)
                assert found == expected[-limit:], (start, end, limit)
    assert await store.checks(BETA.id, *EVER) == [up(DAY_START + 10, endpoint=BETA)]


@pytest.mark.asyncio
async def test_late_check_for_a_packed_hour_is_rolled_up_and_packed_again(
    store: SqlStore, database_url: str
) -> None:
    await store.write_checks([up(DAY_START + 10, 2.0), up(DAY_START + 20, 4.0)])
    await store.update_rollups()
    assert where_checks_lie(database_url) == (0, 1)

    await store.write_checks([down(DAY_START + 15)])
    assert await store.update_rollups() == 2

    for resolution in Resolution:
        (bucket,) = await store.rollups(ALPHA.id, resolution, *EVER)
        assert (bucket.total, bucket.up, bucket.rtt_count, bucket.down_events) == (3, 2, 2, 1)
        assert bucket.rtt_sum_ms == 6.0
    assert where_checks_lie(database_url) == (0, 1)
    assert [check.status for check in await store.checks(ALPHA.id, *EVER)] == [
        CheckStatus.UP,
        CheckStatus.DOWN,
        CheckStatus.UP,
    ]


@pytest.mark.asyncio
async def test_down_event_after_a_packed_hour_looks_into_its_block(store: SqlStore) -> None:
    await store.write_checks([down(DAY_START + 1), up(DAY_START + HOUR_S - 1)])
    await store.update_rollups()
    await store.write_checks([down(DAY_START + HOUR_S + 1), down(DAY_START + HOUR_S + 2)])
    await store.update_rollups()
    buckets = await store.rollups(ALPHA.id, Resolution.QUARTER_HOUR, DAY_START + HOUR_S, EVER[1])
    assert [(bucket.bucket_ts, bucket.down_events) for bucket in buckets] == [
        (DAY_START + HOUR_S, 1)
    ]


@pytest.mark.asyncio
async def test_hours_still_open_are_not_packed(store: SqlStore, database_url: str) -> None:
    now = float(round(time.time()))
    written = [up(now - 1), up(now)]
    await store.write_checks(written)
    await store.update_rollups()
    assert where_checks_lie(database_url) == (2, 0)
    assert await store.checks(ALPHA.id, *EVER) == written


@pytest.mark.asyncio
async def test_hours_not_rolled_up_yet_are_not_packed(store: SqlStore, database_url: str) -> None:
    await store.write_checks([up(DAY_START + 10), up(DAY_START + HOUR_S + 10)])
    now_ms = round(time.time() * 1000)
    with connected(database_url) as connection:
        assert compaction.oldest_closed_hour(connection, now_ms) is None
    await store.update_rollups()
    with connected(database_url) as connection:
        assert compaction.oldest_closed_hour(connection, now_ms) is None
    assert where_checks_lie(database_url) == (0, 2)


@pytest.mark.asyncio
async def test_newest_check_after_restart_may_lie_in_a_block(store: SqlStore) -> None:
    await store.write_checks([up(DAY_START + 5), up(DAY_START + HOUR_S + 5.5)])
    await store.write_snapshots([EndpointSnapshot(ALPHA.id, State.UP, DAY_START, DAY_START)])
    await store.update_rollups()
    loaded = await store.load_snapshots()
    assert loaded[ALPHA.id].last_check_ts == DAY_START + HOUR_S + 5.5


@pytest.mark.asyncio
async def test_retention_across_blocks_is_per_check(store: SqlStore, database_url: str) -> None:
    written = every_7_s(DAY_START, hours=3)
    await store.write_checks(written)
    await store.update_rollups()
    rollups_before = await store.rollups(ALPHA.id, Resolution.QUARTER_HOUR, *EVER)
    cutoff = DAY_START + HOUR_S + 1234.5
    older = sum(1 for check in written if check.ts < cutoff)

    deleted: list[int] = []
    while not deleted or deleted[-1] == 200:
        deleted.append(await store.prune_checks(cutoff, 200))

    assert sum(deleted) == older
    assert await store.checks(ALPHA.id, *EVER) == [c for c in written if c.ts >= cutoff]
    assert where_checks_lie(database_url) == (0, 2)
    assert await store.rollups(ALPHA.id, Resolution.QUARTER_HOUR, *EVER) == rollups_before
    # Rollups of the trimmed hour can still be recomputed from what is left of it.
    await store.write_checks([up(cutoff + 1)])
    await store.update_rollups()
    cutoff_bucket = (cutoff - DAY_START) // QUARTER_HOUR_S * QUARTER_HOUR_S + DAY_START
    (bucket,) = await store.rollups(
        ALPHA.id, Resolution.QUARTER_HOUR, cutoff_bucket, cutoff_bucket + 1
    )
    assert bucket.total == 1 + sum(
        1 for check in written if cutoff <= check.ts < cutoff_bucket + QUARTER_HOUR_S
    )


@pytest.mark.asyncio
async def test_a_check_written_after_its_hour_was_chosen_waits_for_the_rollups(
    store: SqlStore, database_url: str
) -> None:
    """``update_rollups`` picks an hour to pack, then packs it in a later transaction; a
    check written in between must reach its bucket, not a block only."""
    await store.write_checks([up(DAY_START + 10)])
    await store.update_rollups()
    with connected(database_url) as connection:
        hour_ms = compaction.oldest_closed_hour(connection, round(time.time() * 1000))
    assert hour_ms is None  # packed already

    await store.write_checks([up(DAY_START + 20)])  # a late check: the hour is back in the backlog
    with connected(database_url) as connection, connection.begin():
        key = compaction.endpoint_keys(connection)[0]
        assert compaction.pack_hour(connection, DAY_START * 1000, [key]) == 0

    await store.update_rollups()
    (bucket,) = await store.rollups(ALPHA.id, Resolution.QUARTER_HOUR, *EVER)
    assert bucket.total == 2
    assert where_checks_lie(database_url) == (0, 1)
