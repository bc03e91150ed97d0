"""Raw checks: the one module the rest of the store asks about them.

Checks live in two tables. ``checks`` holds recent ones, a row each: ``write_checks`` appends
there, durable at once, a batch of thousands of checks in one driver call of plain tuples
(``_insert_rows``). ``check_blocks`` holds older ones, packed per
endpoint and UTC hour into a few bytes each (``block_codec``): ``compaction`` moves an hour
there once it is over and rolled up. Every read here merges both, so callers never know
where a check lies; a late check for an hour already packed simply lands in ``checks``.

What is kept of a check: its time to the millisecond (``millis``), its RTT to the
microsecond (``micros``; rounded when written, so a check reads the same before and after
packing), its status and its error text, ``None`` RTTs and errors included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnClause,
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    delete,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

from pulse_core.contract import CheckResult, CheckStatus

from pulse_store_sql import blocks
from pulse_store_sql.block_codec import PackedCheck, decode
from pulse_store_sql.blocks import StoredCheck
from pulse_store_sql.micros import kept_rtt_ms
from pulse_store_sql.millis import from_ms, to_ms
from pulse_store_sql.tables import check_blocks, checks, endpoints


def insert(connection: Connection, keys: Mapping[str, int], batch: Sequence[CheckResult]) -> None:
    """Append ``batch``; ``keys`` maps each endpoint id in it to its key."""
    up = CheckStatus.UP
    _insert_rows(
        connection,
        [
            (
                keys[check.endpoint_id],
                to_ms(check.ts),
                check.status is up,
                kept_rtt_ms(check.rtt_ms),
                check.error,
            )
            for check in batch
        ],
    )


def insert_stored(connection: Connection, rows: Sequence[tuple[int, StoredCheck]]) -> None:
    """Append ``(endpoint_key, check)`` rows to the recent table."""
    _insert_rows(connection, [(endpoint_key, *check) for endpoint_key, check in rows])


#: A row of the recent table, its columns in table order.
CheckRow = tuple[int, int, bool, float | None, str | None]

_COLUMNS = ", ".join(column.name for column in checks.columns)
_SQLITE_INSERT = (
    f"INSERT INTO {checks.name} ({_COLUMNS}) VALUES ({', '.join('?' for _ in checks.columns)})"
)
_POSTGRESQL_COPY = f"COPY {checks.name} ({_COLUMNS}) FROM STDIN"


def _insert_rows(connection: Connection, rows: Sequence[CheckRow]) -> None:
    """Append ``rows`` through the driver, without SQLAlchemy's processing of each row.

    This is the store's hottest write (thousands of rows a second). Through a Core
    ``insert()``, SQLAlchemy builds and processes a parameter dictionary per row, which cost
    more CPU than the database's own work; these values need no processing, as both drivers
    take ints, floats, bools, strings and ``None`` as they are. SQLite gets sqlite3's
    ``executemany`` of tuples; PostgreSQL gets ``COPY``, which psycopg feeds from C and the
    server loads in one go, several times cheaper on both sides than an ``executemany``.
    Both run in the connection's transaction.
    """
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, rows)
    else:
        connection.exec_driver_sql(_SQLITE_INSERT, rows)


def _copy_rows(connection: Connection, rows: Sequence[CheckRow]) -> None:
    """``COPY`` ``rows`` into the recent table with psycopg, on the connection's own DBAPI
    connection (and so in its transaction)."""
    psycopg_connection = connection.connection.driver_connection
    assert psycopg_connection is not None  # None only once the connection is closed
    with psycopg_connection.cursor() as cursor:
        with cursor.copy(_POSTGRESQL_COPY) as copy:
            for row in rows:
                copy.write_row(row)


def select_range(
    connection: Connection, endpoint_id: str, start_ms: int, end_ms: int, limit: int | None
) -> list[CheckResult]:
    """Checks of one endpoint with ``start_ms <= ts < end_ms``, oldest first; with ``limit``,
    the newest ``limit`` of them."""
    endpoint_key = connection.execute(
        select(endpoints.c.key).where(endpoints.c.id == endpoint_id)
    ).scalar_one_or_none()
    if endpoint_key is None or limit == 0:
        return []
    recent = _recent_in_range(connection, endpoint_key, start_ms, end_ms, limit)
    packed = _packed_in_range(connection, endpoint_key, start_ms, end_ms, limit, recent)
    found = sorted(recent + blocks.to_stored(connection, packed), key=lambda check: check.ts_ms)
    if limit is not None:
        found = found[-limit:]
    return [as_result(endpoint_id, check) for check in found]


def as_result(endpoint_id: str, check: StoredCheck) -> CheckResult:
    """A stored check of ``endpoint_id`` as the core knows it."""
    return CheckResult(
        endpoint_id=endpoint_id,
        ts=from_ms(check.ts_ms),
        status=CheckStatus.UP if check.up else CheckStatus.DOWN,
        rtt_ms=check.rtt_ms,
        error=check.error,
    )


def _recent_in_range(
    connection: Connection, endpoint_key: int, start_ms: int, end_ms: int, limit: int | None
) -> list[StoredCheck]:
    query = select(checks.c.ts_ms, checks.c.up, checks.c.rtt_ms, checks.c.error).where(
        checks.c.endpoint_key == endpoint_key,
        checks.c.ts_ms >= start_ms,
        checks.c.ts_ms < end_ms,
    )
    if limit is not None:
        query = query.order_by(checks.c.ts_ms.desc()).limit(limit)
    return [StoredCheck(*row) for row in connection.execute(query)]


def _packed_in_range(
    connection: Connection,
    endpoint_key: int,
    start_ms: int,
    end_ms: int,
    limit: int | None,
    recent: Sequence[StoredCheck],
) -> list[PackedCheck]:
    """The packed checks in range; with ``limit``, at least those among the newest ``limit``
    of packed and ``recent`` together, decoding blocks newest first only until no older
    block can hold one of them."""
    found: list[PackedCheck] = []
    with blocks.newest_first(connection, endpoint_key, start_ms, end_ms) as rows:
        for block_start_ms, last_ts_ms, data in rows:
            if limit is not None and last_ts_ms < _newest_ts(found, recent, limit):
                break
            found += [
                check for check in decode(data, block_start_ms) if start_ms <= check.ts_ms < end_ms
            ]
    return found


def _newest_ts(found: Sequence[PackedCheck], recent: Sequence[StoredCheck], limit: int) -> float:
    """The time of the ``limit``-th newest check of ``found`` and ``recent``; minus infinity
    while there are fewer."""
    timestamps = sorted([check.ts_ms for check in found] + [check.ts_ms for check in recent])
    return timestamps[-limit] if limit <= len(timestamps) else float("-inf")


def prune(connection: Connection, before_ms: int, batch_size: int) -> int:
    """Delete at most ``batch_size`` checks older than ``before_ms``, recent ones first;
    return how many."""
    deleted = _prune_recent(connection, before_ms, batch_size)
    if deleted < batch_size:
        deleted += blocks.prune(connection, before_ms, batch_size - deleted)
    return deleted


def _prune_recent(connection: Connection, before_ms: int, batch_size: int) -> int:
    """Delete at most ``batch_size`` recent checks older than ``before_ms``.

    Rows are picked by the engine's physical row id, found through the timestamp index, so
    one batch touches only its own rows.
    """
    if connection.dialect.name == "postgresql":
        # ``ctid = ANY(ARRAY(...))`` is planned as a TID scan; ``ctid IN (...)`` is not.
        ctid: ColumnClause[Any] = literal_column("ctid")
        doomed = select(ctid).where(checks.c.ts_ms < before_ms).limit(batch_size)
        statement = delete(checks).where(ctid == func.any(func.array(doomed.scalar_subquery())))
    else:
        rowid: ColumnClause[Any] = literal_column("rowid")
        doomed = select(rowid).where(checks.c.ts_ms < before_ms).limit(batch_size)
        statement = delete(checks).where(rowid.in_(doomed))
    return connection.execute(statement).rowcount


def unpack_hours_beside_recent(connection: Connection, start_ms: int, end_ms: int) -> None:
    """Move back to the recent table the packed checks of every hour overlapping
    ``[start_ms, end_ms)`` in which the same endpoint also has recent checks (it received a
    late check), so ``bucket_aggregates`` finds each of those hours whole there."""
    taken = blocks.take_beside_recent(connection, start_ms, end_ms)
    rows = [(endpoint_key, check) for endpoint_key, stored in taken.items() for check in stored]
    if rows:
        insert_stored(connection, rows)


class _greatest(GenericFunction[int]):
    """The larger of two non-NULL integers: ``greatest`` in PostgreSQL, ``max`` in SQLite."""

    type = BigInteger()
    inherit_cache = True


@compiles(_greatest, "sqlite")
def _greatest_in_sqlite(element: _greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(_greatest)
def _greatest_elsewhere(element: _greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


def _newer_of(recent: ColumnElement[int], packed: ColumnElement[int]) -> ColumnElement[int]:
    """The larger of two values that may be NULL (``-1`` stands for NULL: both are times or
    times doubled, never negative in practice)."""
    return func.nullif(_greatest(func.coalesce(recent, -1), func.coalesce(packed, -1)), -1)


def newest_ts_ms(endpoint_key: ColumnElement[int]) -> ColumnElement[int]:
    """The time of the newest check of ``endpoint_key`` (NULL without checks), for use as a
    correlated subquery."""
    recent = (
        select(func.max(checks.c.ts_ms))
        .where(checks.c.endpoint_key == endpoint_key)
        .scalar_subquery()
    )
    packed = (
        select(check_blocks.c.last_ts_ms)
        .where(check_blocks.c.endpoint_key == endpoint_key)
        .order_by(check_blocks.c.start_ms.desc())
        .limit(1)
        .scalar_subquery()
    )
    return _newer_of(recent, packed)


def _up_before(endpoint_key: ColumnElement[int], ts_ms: ColumnElement[int]) -> ColumnElement[bool]:
    """Whether the newest check of ``endpoint_key`` before ``ts_ms`` was up (NULL without
    one): one index probe into each table, on ``ts * 2 + up`` so that the newer of the two
    answers carries its status. The hour of ``ts_ms`` must not be packed (see
    ``unpack_hours_beside_recent``), so every block before it ends before it."""
    previous = checks.alias("previous")
    recent = (
        select(previous.c.ts_ms * 2 + case((previous.c.up, 1), else_=0))
        .where(previous.c.endpoint_key == endpoint_key, previous.c.ts_ms < ts_ms)
        .order_by(previous.c.ts_ms.desc())
        .limit(1)
        .scalar_subquery()
    )
    packed = (
        select(check_blocks.c.last_ts_ms * 2 + case((check_blocks.c.last_up, 1), else_=0))
        .where(check_blocks.c.endpoint_key == endpoint_key, check_blocks.c.start_ms < ts_ms)
        .order_by(check_blocks.c.start_ms.desc())
        .limit(1)
        .scalar_subquery()
    )
    return _newer_of(recent, packed) % 2 == 1


def bucket_aggregates(
    start_ms: int, end_ms: int, bucket_ms: int, endpoints: ColumnElement[bool] | None = None
) -> Select[Any]:
    """Per endpoint and ``bucket_ms``-wide bucket, of the checks in ``[start_ms, end_ms)``
    (of the endpoints whose key meets ``endpoints``, if given): ``endpoint_key, bucket_ms,
    total, up, rtt_sum_ms, rtt_count, down_events``, from the recent table, after
    ``unpack_hours_beside_recent`` for the same range. With bucket boundaries for ends, they
    are the buckets' values; otherwise what the range adds to them.

    Only the endpoints with recent checks in a bucket get a row for it: a bucket whose
    checks are all packed was rolled up before they were packed, and is unchanged since.

    RTTs count only for up checks. A down event is a down check whose previous check, in
    time, is up. ``LAG`` finds the previous check inside the range; for an endpoint's first
    check in the range, the previous one is looked up in both tables (``COALESCE`` evaluates
    that only when ``LAG`` has nothing). The range itself is read through the timestamp
    index alone, however long ago an endpoint's last check was.
    """
    previous_up = func.coalesce(
        func.lag(checks.c.up).over(partition_by=checks.c.endpoint_key, order_by=checks.c.ts_ms),
        _up_before(checks.c.endpoint_key, checks.c.ts_ms),
        type_=Boolean,
    )
    ordered = (
        select(
            checks.c.endpoint_key,
            checks.c.ts_ms,
            checks.c.up,
            checks.c.rtt_ms,
            previous_up.label("previous_up"),
        )
        .where(
            checks.c.ts_ms >= start_ms,
            checks.c.ts_ms < end_ms,
            *([] if endpoints is None else [endpoints]),
        )
        .subquery("ordered")
    )
    bucket = (ordered.c.ts_ms // bucket_ms) * bucket_ms
    successful_rtt = and_(ordered.c.up, ordered.c.rtt_ms.is_not(None))
    return select(
        ordered.c.endpoint_key,
        bucket.label("bucket_ms"),
        func.count().label("total"),
        func.sum(case((ordered.c.up, 1), else_=0)).label("up"),
        func.coalesce(func.sum(case((successful_rtt, ordered.c.rtt_ms))), 0.0).label("rtt_sum_ms"),
        func.sum(case((successful_rtt, 1), else_=0)).label("rtt_count"),
        func.sum(case((and_(~ordered.c.up, ordered.c.previous_up), 1), else_=0)).label(
            "down_events"
        ),
    ).group_by(ordered.c.endpoint_key, bucket)
