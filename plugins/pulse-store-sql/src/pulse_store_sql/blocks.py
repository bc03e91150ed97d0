"""The ``check_blocks`` table: the checks of one endpoint in one UTC hour, in one row.

A block's checks are in time order and all lie in ``[start_ms, start_ms + BLOCK_MS)``. An
hour holds whole 15-minute and daily-bucket boundaries, so a rollup bucket never straddles
two blocks. ``count``, ``last_ts_ms`` and ``last_up`` are kept beside the bytes so that
retention can drop whole blocks, and rollups find the check before a range, without
decoding anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from typing import NamedTuple

from sqlalchemy import Connection, CursorResult, bindparam, delete, exists, select

from pulse_store_sql import error_texts
from pulse_store_sql.block_codec import PackedCheck, decode, encode
from pulse_store_sql.micros import from_us, to_us
from pulse_store_sql.tables import check_blocks, checks
from pulse_store_sql.upsert import upsert

#: The span of a block: an hour, so a block of checks every 10 s holds 360 of them.
BLOCK_MS = 60 * 60 * 1000

_IDENTITY = ("endpoint_key", "start_ms")


class StoredCheck(NamedTuple):
    """A check of a known endpoint as the tables keep it (a row of the ``checks`` table)."""

    ts_ms: int
    up: bool
    rtt_ms: float | None
    error: str | None


def block_start(ts_ms: int) -> int:
    """The start of the block that holds a check at ``ts_ms``."""
    return ts_ms // BLOCK_MS * BLOCK_MS


def by_time(checks_in_any_order: Iterable[PackedCheck]) -> list[PackedCheck]:
    """The checks sorted by timestamp (an equal pair keeps its order)."""
    return sorted(checks_in_any_order, key=attrgetter("ts_ms"))


def to_packed(stored: Iterable[StoredCheck], error_ids: Mapping[str, int]) -> list[PackedCheck]:
    """``stored`` as a block keeps them; ``error_ids`` must know every error among them."""
    return [
        PackedCheck(
            check.ts_ms,
            check.up,
            None if check.rtt_ms is None else to_us(check.rtt_ms),
            None if check.error is None else error_ids[check.error],
        )
        for check in stored
    ]


def to_stored(connection: Connection, packed: Sequence[PackedCheck]) -> list[StoredCheck]:
    """``packed`` with their error texts looked up."""
    texts = error_texts.texts_of(
        connection, {check.error_id for check in packed if check.error_id is not None}
    )
    return [
        StoredCheck(
            check.ts_ms,
            check.up,
            None if check.rtt_us is None else from_us(check.rtt_us),
            None if check.error_id is None else texts[check.error_id],
        )
        for check in packed
    ]


def save(connection: Connection, blocks: Mapping[tuple[int, int], Sequence[PackedCheck]]) -> None:
    """Make each ``(endpoint_key, start_ms)`` block hold the given checks (in time order),
    replacing what it held; a block given no checks is deleted."""
    filled = [
        {
            "endpoint_key": endpoint_key,
            "start_ms": start_ms,
            "count": len(packed),
            "last_ts_ms": packed[-1].ts_ms,
            "last_up": packed[-1].up,
            "data": encode(packed, start_ms),
        }
        for (endpoint_key, start_ms), packed in blocks.items()
        if packed
    ]
    emptied = [identity for identity, packed in blocks.items() if not packed]
    if filled:
        connection.execute(upsert(connection, check_blocks, _IDENTITY), filled)
    if emptied:
        _delete(connection, emptied)


def load(
    connection: Connection, start_ms: int, endpoint_keys: Iterable[int]
) -> dict[int, list[PackedCheck]]:
    """The checks of the blocks starting at ``start_ms`` of the given endpoints that have
    one, by endpoint key."""
    rows = connection.execute(
        select(check_blocks.c.endpoint_key, check_blocks.c.data).where(
            check_blocks.c.start_ms == start_ms,
            check_blocks.c.endpoint_key.in_(list(endpoint_keys)),
        )
    )
    return {endpoint_key: decode(data, start_ms) for endpoint_key, data in rows}


def newest_first(
    connection: Connection, endpoint_key: int, start_ms: int, end_ms: int
) -> CursorResult[int, int, bytes]:
    """``start_ms, last_ts_ms, data`` of the blocks of one endpoint that may hold checks in
    ``[start_ms, end_ms)``, newest first, fetched as the caller goes (who closes it)."""
    query = (
        select(check_blocks.c.start_ms, check_blocks.c.last_ts_ms, check_blocks.c.data)
        .where(
            check_blocks.c.endpoint_key == endpoint_key,
            check_blocks.c.start_ms > start_ms - BLOCK_MS,
            check_blocks.c.start_ms < end_ms,
        )
        .order_by(check_blocks.c.start_ms.desc())
    )
    return connection.execute(query)


def prune(connection: Connection, before_ms: int, budget: int) -> int:
    """Delete at most ``budget`` checks older than ``before_ms``, oldest blocks first;
    return how many. A block entirely older goes whole; the one that straddles
    ``before_ms`` (or that the budget cuts into) is rewritten without its oldest checks."""
    candidates = connection.execute(
        select(
            check_blocks.c.endpoint_key,
            check_blocks.c.start_ms,
            check_blocks.c.count,
            check_blocks.c.last_ts_ms,
        )
        .where(check_blocks.c.start_ms < before_ms)
        .order_by(check_blocks.c.start_ms)
        .limit(budget)
    ).all()
    deleted = 0
    whole: list[tuple[int, int]] = []
    for endpoint_key, start_ms, count, last_ts_ms in candidates:
        left = budget - deleted
        if left == 0:
            break
        if last_ts_ms < before_ms and count <= left:
            whole.append((endpoint_key, start_ms))
            deleted += count
        else:
            deleted += _trim(connection, endpoint_key, start_ms, before_ms, left)
    if whole:
        _delete(connection, whole)
    return deleted


def _trim(
    connection: Connection, endpoint_key: int, start_ms: int, before_ms: int, most: int
) -> int:
    """Drop the oldest checks before ``before_ms`` from one block, ``most`` at most; return
    how many were dropped."""
    packed = load(connection, start_ms, [endpoint_key])[endpoint_key]
    older = sum(1 for check in packed if check.ts_ms < before_ms)
    dropped = min(older, most)
    save(connection, {(endpoint_key, start_ms): packed[dropped:]})
    return dropped


def take_beside_recent(
    connection: Connection, start_ms: int, end_ms: int
) -> dict[int, list[StoredCheck]]:
    """Delete and return (by endpoint key) the checks of the blocks in the hours that
    overlap ``[start_ms, end_ms)`` whose endpoint also has recent checks in that hour.

    That happens when a check arrives late, for an hour already packed: its rollups are
    then recomputed from the recent table, which must hold the whole hour.
    """
    recent_in_hour = exists().where(
        checks.c.endpoint_key == check_blocks.c.endpoint_key,
        checks.c.ts_ms >= check_blocks.c.start_ms,
        checks.c.ts_ms < check_blocks.c.start_ms + BLOCK_MS,
    )
    rows = connection.execute(
        select(check_blocks.c.endpoint_key, check_blocks.c.start_ms, check_blocks.c.data).where(
            check_blocks.c.start_ms >= block_start(start_ms),
            check_blocks.c.start_ms < end_ms,
            recent_in_hour,
        )
    ).all()
    taken: dict[int, list[PackedCheck]] = {}
    for endpoint_key, block_start_ms, data in rows:
        taken.setdefault(endpoint_key, []).extend(decode(data, block_start_ms))
    if rows:
        _delete(connection, [(endpoint_key, start) for endpoint_key, start, _ in rows])
    return {endpoint_key: to_stored(connection, packed) for endpoint_key, packed in taken.items()}


def _delete(connection: Connection, identities: Sequence[tuple[int, int]]) -> None:
    """Delete the blocks identified by ``(endpoint_key, start_ms)``."""
    connection.execute(
        delete(check_blocks).where(
            check_blocks.c.endpoint_key == bindparam("key"),
            check_blocks.c.start_ms == bindparam("start"),
        ),
        [{"key": endpoint_key, "start": start_ms} for endpoint_key, start_ms in identities],
    )
