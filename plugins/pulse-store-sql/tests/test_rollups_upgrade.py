"""A database made before rollup turns added new checks to their buckets gets the column
that says what the buckets count, and its first turn recomputes."""

from __future__ import annotations

import sqlalchemy

from pulse_core.models import Resolution
from pulse_core.testing.store_conformance import (
    ALPHA,
    DAY_START,
    EVER,
    QUARTER_HOUR_S,
    add_catalog,
    down,
    up,
)
from pulse_store_sql import SqlStore, database


async def test_a_backlog_without_what_its_buckets_count_is_recomputed_then_added_to(
    database_url: str,
) -> None:
    store = SqlStore(database_url)
    await store.open()
    try:
        await add_catalog(store)
        await store.write_checks([up(DAY_START + 60), down(DAY_START + 70)])
        await store.update_rollups()
    finally:
        await store.close()
    engine = sqlalchemy.create_engine(database.database_url(database_url))
    with engine.begin() as connection:  # the backlog's table as it was made then
        connection.execute(sqlalchemy.text("ALTER TABLE rollup_backlog DROP COLUMN counted_to_ms"))
    engine.dispose()

    store = SqlStore(database_url)
    await store.open()
    try:
        await store.write_checks([up(DAY_START + 80)])
        await store.update_rollups()  # recomputes the quarter hour: what it counts is unknown
        await store.write_checks([down(DAY_START + QUARTER_HOUR_S + 10)])
        await store.update_rollups()  # adds the new check
        quarters = await store.rollups(ALPHA.id, Resolution.QUARTER_HOUR, *EVER)
        (day,) = await store.rollups(ALPHA.id, Resolution.DAILY, *EVER)
    finally:
        await store.close()
    assert [(q.total, q.up, q.down_events) for q in quarters] == [(3, 2, 1), (1, 0, 1)]
    assert (day.total, day.up, day.down_events) == (4, 2, 2)
