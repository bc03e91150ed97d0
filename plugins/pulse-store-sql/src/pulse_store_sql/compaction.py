"""Packing recent checks into blocks, an endpoint-hour at a time.

A row per check costs about 60 bytes in a vacuumed SQLite file (the row and its two index
entries), more with a live database's slack; packed, a check costs about 4, rollups included
(``block_codec``; ``bench/storage.py`` measures both). Checks are written as rows, durable
at once and cheap to insert, and packed here once their hour is *closed*:
over for ``CLOSED_AFTER_MS`` (so the engine's batches have arrived), and rolled up (so the
rollups, computed in SQL from the rows, never need to decode a block in the normal course).
``update_rollups`` runs it after the rollups, one transaction per hour and slice of
``ENDPOINTS_PER_TRANSACTION`` endpoints, so writes of new checks run in between.

Each transaction checks again, holding the backlog's row lock, that its hour is rolled up
(a check written since the hour was chosen puts it back in the backlog), then takes the rows
with ``DELETE ... RETURNING``: exactly the rows deleted are packed. A block already stored
for the endpoint and hour (packed by another node at the same time) is merged with, not lost.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from sqlalchemy import Connection, delete, func, select

from pulse_store_sql import blocks, error_texts, rollups
from pulse_store_sql.blocks import BLOCK_MS, StoredCheck, block_start
from pulse_store_sql.runner import DatabaseRunner
from pulse_store_sql.tables import checks, endpoints

#: How long after its end an hour's checks are packed.
CLOSED_AFTER_MS = 10 * 60 * 1000
#: Endpoints packed per transaction: an hour at a 10 s interval is 360 checks each, so a
#: transaction packs about 90,000 checks, a fraction of a second of work.
ENDPOINTS_PER_TRANSACTION = 250


async def pack_closed_hours(runner: DatabaseRunner, now_ms: int) -> int:
    """Pack every closed hour that still has recent checks, oldest first; return how many
    checks were packed."""
    packed = 0
    hour_ms = await runner.read(partial(oldest_closed_hour, now_ms=now_ms))
    while hour_ms is not None:
        keys = await runner.read(endpoint_keys)
        for first in range(0, len(keys), ENDPOINTS_PER_TRANSACTION):
            some_keys = keys[first : first + ENDPOINTS_PER_TRANSACTION]
            packed += await runner.write(
                partial(pack_hour, hour_ms=hour_ms, endpoint_keys=some_keys)
            )
        hour_ms = await runner.read(
            partial(oldest_closed_hour, now_ms=now_ms, from_ms=hour_ms + BLOCK_MS)
        )
    return packed


def oldest_closed_hour(
    connection: Connection, now_ms: int, from_ms: int | None = None
) -> int | None:
    """The start of the oldest closed hour (from ``from_ms`` on) with recent checks, or
    ``None``."""
    closed_until_ms = block_start(now_ms - CLOSED_AFTER_MS)
    not_rolled_up_ms = rollups.backlog_start(connection)
    if not_rolled_up_ms is not None:
        closed_until_ms = min(closed_until_ms, block_start(not_rolled_up_ms))
    query = select(func.min(checks.c.ts_ms)).where(checks.c.ts_ms < closed_until_ms)
    if from_ms is not None:
        query = query.where(checks.c.ts_ms >= from_ms)
    oldest_ms: int | None = connection.execute(query).scalar_one()
    return None if oldest_ms is None else block_start(oldest_ms)


def endpoint_keys(connection: Connection) -> list[int]:
    """The key of every endpoint ever stored, removed ones included (their late checks too
    are packed)."""
    return list(connection.execute(select(endpoints.c.key).order_by(endpoints.c.key)).scalars())


def pack_hour(connection: Connection, hour_ms: int, endpoint_keys: list[int]) -> int:
    """Move the recent checks of ``endpoint_keys`` in the hour starting at ``hour_ms`` into
    their blocks; return how many were moved.

    The hour was found rolled up in an earlier transaction; a check written into it since
    has put it back in the backlog, and its rows must wait for the rollups to count them
    (packed, they would be left out of their buckets for good)."""
    not_rolled_up_ms = rollups.backlog_start(connection, lock=True)
    if not_rolled_up_ms is not None and not_rolled_up_ms < hour_ms + BLOCK_MS:
        return 0
    taken = connection.execute(
        delete(checks)
        .where(
            checks.c.endpoint_key.in_(endpoint_keys),
            checks.c.ts_ms >= hour_ms,
            checks.c.ts_ms < hour_ms + BLOCK_MS,
        )
        .returning(
            checks.c.endpoint_key, checks.c.ts_ms, checks.c.up, checks.c.rtt_ms, checks.c.error
        )
    ).all()
    if not taken:
        return 0
    by_endpoint: dict[int, list[StoredCheck]] = defaultdict(list)
    for endpoint_key, ts_ms, up, rtt_ms, error in taken:
        by_endpoint[endpoint_key].append(StoredCheck(ts_ms, up, rtt_ms, error))
    error_ids = error_texts.ids_of(
        connection, {row.error for row in taken if row.error is not None}
    )
    stored_before = blocks.load(connection, hour_ms, by_endpoint)
    blocks.save(
        connection,
        {
            (endpoint_key, hour_ms): blocks.by_time(
                stored_before.get(endpoint_key, []) + blocks.to_packed(stored, error_ids)
            )
            for endpoint_key, stored in by_endpoint.items()
        },
    )
    return len(taken)
