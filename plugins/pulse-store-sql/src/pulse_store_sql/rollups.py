"""15-minute and daily rollups of the raw checks.

Writing checks widens a persisted *backlog*: the range of check timestamps not yet rolled
up, kept in the database in the same transaction as the checks, so checks written just
before a crash or a restart, or by another node sharing the database, still reach their
rollups. ``update_rollups`` works through it oldest first, one *slice* per transaction (at
most one UTC day), in one of two ways:

- *adding*, once the store knows the newest check its buckets count (``counted_to_ms``):
  an endpoint whose checks in the backlog are all newer than that has their sums added to
  its 15-minute and daily buckets; one with a check in the backlog at or before it (a check
  that ended after a later-begun one of another endpoint was counted, or one written out of
  order) has its buckets in the slice's quarter hours recomputed. A turn's work is the
  checks since the last turn: at 100,000 endpoints every 10 s, recomputing the current
  quarter hour read up to 9 million checks a minute, and the day's sums every quarter hour
  of the day;
- *recomputing*, while nothing is known of what the buckets count (a new database, or one
  made before this): the 15-minute buckets of the slice are recomputed from all of their
  raw checks, then the daily buckets of that day as sums of their 15-minute buckets.

Both count a check the same way, so the buckets are those a recomputation would make. Each
slice shrinks the backlog in the transaction that rolled it up, holding the backlog's row
lock on PostgreSQL, so a check committed meanwhile by another node widens the backlog again
instead of being forgotten. Writes of new checks run between slices, never wait for a long
catch-up as a whole.

The range is shared by all endpoints: a late check of one endpoint makes the buckets of
the others checked between it and ``counted_to_ms`` be recomputed too. That costs time,
never correctness. Buckets are computed from the recent checks table: an hour is packed into
a block (``compaction``) only once rolled up, and a late check for a packed hour first brings
that hour back (``checks.unpack_hours_beside_recent``); buckets whose checks are all packed
stay as they are.
A check inserted *before* checks already stored changes the down event of the check after
it; if that one lies in a later bucket, outside the backlog, the later bucket is not
revisited (checks arrive in time order from the engine, so this needs an out-of-order write).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    MetaData,
    Row,
    Select,
    Table,
    Update,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.schema import CreateTable

from pulse_core.contract import Resolution, Rollup

from pulse_store_sql import checks
from pulse_store_sql.millis import from_ms
from pulse_store_sql.tables import checks as checks_table
from pulse_store_sql.tables import (
    add_missing_columns,
    endpoints,
    rollup_backlog,
    rollups_15m,
    rollups_daily,
)
from pulse_store_sql.upsert import Insert, insert_missing, upsert

QUARTER_HOUR_MS = 15 * 60 * 1000
DAY_MS = 24 * 60 * 60 * 1000

_BUCKET_KEY = ("endpoint_key", "bucket_ms")
#: what a turn adds to the 15-minute buckets, for the length of the turn: a temporary table
#: of the connection, empty between turns
_ADDED = Table(
    "rollup_added",
    MetaData(),
    *(Column(column.name, column.type) for column in rollups_15m.columns),
    prefixes=["TEMPORARY"],
)
_BACKLOG_ID = 1
_TABLES: dict[Resolution, Table] = {
    Resolution.QUARTER_HOUR: rollups_15m,
    Resolution.DAILY: rollups_daily,
}


def create_backlog(connection: Connection) -> None:
    """Create the backlog's row if this is a new database; a database made before rollups
    were added to gets the ``counted_to_ms`` column, empty (its next turn recomputes)."""
    add_missing_columns(connection, "rollup_backlog", {"counted_to_ms": "BIGINT"})
    connection.execute(
        insert_missing(connection, rollup_backlog, ["id"]),
        {"id": _BACKLOG_ID, "from_ms": None, "to_ms": None, "counted_to_ms": None},
    )


def _widen_backlog() -> Update:
    """The statement that widens the backlog to ``new_from_ms``..``new_to_ms``."""
    backlog = rollup_backlog.c
    from_ms = bindparam("new_from_ms", type_=BigInteger)
    to_ms = bindparam("new_to_ms", type_=BigInteger)
    return (
        update(rollup_backlog)
        .where(backlog.id == _BACKLOG_ID)
        .values(
            from_ms=case(
                (or_(backlog.from_ms.is_(None), backlog.from_ms > from_ms), from_ms),
                else_=backlog.from_ms,
            ),
            to_ms=case(
                (or_(backlog.to_ms.is_(None), backlog.to_ms < to_ms), to_ms),
                else_=backlog.to_ms,
            ),
        )
    )


#: Built once: it runs with every batch of checks, where building it anew and computing
#: its cache key cost about as much as running it.
_WIDEN_BACKLOG = _widen_backlog()


def add_to_backlog(connection: Connection, from_ms: int, to_ms: int) -> None:
    """Note that checks from ``from_ms`` to ``to_ms`` were written (in this transaction)."""
    connection.execute(_WIDEN_BACKLOG, {"new_from_ms": from_ms, "new_to_ms": to_ms})


def backlog_end(connection: Connection) -> int | None:
    """The newest check timestamp not rolled up yet, or ``None`` when all are."""
    backlog = rollup_backlog.c
    end_ms: int | None = connection.execute(
        select(backlog.to_ms).where(backlog.id == _BACKLOG_ID)
    ).scalar_one()
    return end_ms


def backlog_start(connection: Connection, *, lock: bool = False) -> int | None:
    """The oldest check timestamp not rolled up yet, or ``None`` when all are: every check
    before it counts in its buckets.

    With ``lock``, the backlog's row stays locked to the end of the transaction (on
    PostgreSQL; SQLite has a single writer anyway): a writer widening the backlog waits, so
    the checks its transaction adds stay invisible until then."""
    backlog = rollup_backlog.c
    query = select(backlog.from_ms).where(backlog.id == _BACKLOG_ID)
    start_ms: int | None = connection.execute(
        query.with_for_update() if lock else query
    ).scalar_one()
    return start_ms


def roll_up_oldest_slice(connection: Connection, until_ms: int) -> int | None:
    """Roll up the oldest slice of the backlog and take it out; return how many buckets
    were written, or ``None`` when nothing is left up to ``until_ms``."""
    backlog = rollup_backlog.c
    pending = connection.execute(
        select(backlog.from_ms, backlog.to_ms, backlog.counted_to_ms)
        .where(backlog.id == _BACKLOG_ID)
        .with_for_update()
    ).one()
    if pending.from_ms is None or pending.from_ms > until_ms:
        return None
    day_end_ms = (pending.from_ms // DAY_MS + 1) * DAY_MS
    counted = pending.counted_to_ms
    if counted is None:
        end_ms = min(day_end_ms, _quarter_of(pending.to_ms) + QUARTER_HOUR_MS)
        written = recompute(connection, _quarter_of(pending.from_ms), end_ms)
    else:
        end_ms = min(day_end_ms, pending.to_ms + 1)
        written = add_checks(connection, pending.from_ms, end_ms, counted)
    # The newest check counted now: the backlog's last one, or the slice's last moment when
    # the backlog goes on after it (a check after the backlog's end was counted before).
    newest_ms = pending.to_ms if end_ms > pending.to_ms else end_ms - 1
    rest: dict[str, int | None] = (
        {"from_ms": end_ms} if end_ms <= pending.to_ms else {"from_ms": None, "to_ms": None}
    )
    rest["counted_to_ms"] = newest_ms if counted is None else max(counted, newest_ms)
    connection.execute(update(rollup_backlog).where(backlog.id == _BACKLOG_ID).values(rest))
    return written


def add_checks(connection: Connection, start_ms: int, end_ms: int, counted_to_ms: int) -> int:
    """Roll up the backlog's checks in ``[start_ms, end_ms)`` (one UTC day at most), the
    buckets counting every check up to ``counted_to_ms`` and none after it outside the
    backlog; return how many buckets were written.

    An endpoint with a check in the backlog at or before ``counted_to_ms`` may have checks
    there that are counted already (a check that ended after the last turn, begun before
    another endpoint's check that turn counted; or one written out of order): its buckets
    in the slice's quarter hours are recomputed. Every other endpoint's checks in the
    backlog are all newer than anything counted, and their sums are added to its buckets.
    """
    late = None
    if start_ms <= counted_to_ms:
        late = (
            select(checks_table.c.endpoint_key)
            .where(checks_table.c.ts_ms >= start_ms, checks_table.c.ts_ms <= counted_to_ms)
            .distinct()
        )
        first_quarter_ms = _quarter_of(start_ms)
        last_quarter_ms = _quarter_of(end_ms - 1)
        written = recompute(
            connection, first_quarter_ms, last_quarter_ms + QUARTER_HOUR_MS, only=late
        )
    else:
        checks.unpack_hours_beside_recent(connection, start_ms, end_ms)
        written = 0
    newer = None if late is None else checks_table.c.endpoint_key.not_in(late)
    # The checks are read once: their 15-minute sums are kept for the turn, added to the
    # 15-minute buckets and, a day's worth summed, to the daily ones (a second read of the
    # checks for the days took as long as the first).
    connection.execute(CreateTable(_ADDED, if_not_exists=True))
    connection.execute(
        insert(_ADDED).from_select(
            [column.name for column in _ADDED.columns],
            checks.bucket_aggregates(start_ms, end_ms, QUARTER_HOUR_MS, newer),
        )
    )
    for table, sums in (
        # ``WHERE true``: SQLite reads an upsert's ``ON`` after a bare table as a join's
        (rollups_15m, select(*_ADDED.columns).where(true())),
        (rollups_daily, _day_sums(_ADDED)),
    ):
        written += _count_written(
            connection, upsert(connection, table, _BUCKET_KEY, sums, adding=True)
        )
    connection.execute(delete(_ADDED))
    return written


def _quarter_of(moment_ms: int) -> int:
    """The start of the 15-minute bucket of ``moment_ms``."""
    return moment_ms // QUARTER_HOUR_MS * QUARTER_HOUR_MS


def recompute(
    connection: Connection, start_ms: int, end_ms: int, only: Select[Any] | None = None
) -> int:
    """Rewrite the 15-minute buckets in ``[start_ms, end_ms)`` (one UTC day at most) from
    the raw checks, then the daily buckets of the endpoints concerned; of the endpoints
    whose keys ``only`` selects, if given. Returns how many buckets were written."""
    checks.unpack_hours_beside_recent(connection, start_ms, end_ms)
    quarter_hours = _count_written(
        connection,
        upsert(
            connection,
            rollups_15m,
            _BUCKET_KEY,
            checks.bucket_aggregates(
                start_ms, end_ms, QUARTER_HOUR_MS,
                None if only is None else checks_table.c.endpoint_key.in_(only),
            ),
        ),
    )
    day_ms = start_ms // DAY_MS * DAY_MS
    quarter = rollups_15m.c
    rewritten_endpoints = (
        select(quarter.endpoint_key)
        .where(quarter.bucket_ms >= start_ms, quarter.bucket_ms < end_ms)
        .distinct()
        if only is None
        else only
    )
    day_sums = _day_sums(rollups_15m).where(
        quarter.bucket_ms >= day_ms,
        quarter.bucket_ms < day_ms + DAY_MS,
        quarter.endpoint_key.in_(rewritten_endpoints),
    )
    days = _count_written(connection, upsert(connection, rollups_daily, _BUCKET_KEY, day_sums))
    return quarter_hours + days


def _day_sums(quarter_hours: Table) -> Select[Any]:
    """The daily sums of each endpoint's rows of ``quarter_hours`` (15-minute buckets, or
    what a turn adds to them), in the columns of a rollup table."""
    columns = quarter_hours.c
    day = (columns.bucket_ms // DAY_MS) * DAY_MS
    return select(
        columns.endpoint_key, day, func.sum(columns.total), func.sum(columns.up),
        func.sum(columns.rtt_sum_ms), func.sum(columns.rtt_count),
        func.sum(columns.down_events),
    ).group_by(columns.endpoint_key, day)


def _count_written(connection: Connection, statement: Insert) -> int:
    """Run ``statement``; return how many rows it inserted or updated (SQLAlchemy keeps an
    INSERT's row count only when asked)."""
    return connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount


def select_range(
    connection: Connection, endpoint_id: str, resolution: Resolution, start_ms: int, end_ms: int
) -> list[Rollup]:
    """Buckets of one endpoint starting in ``[start_ms, end_ms)``, oldest first."""
    table = _TABLES[resolution]
    rows = connection.execute(
        bucket_columns(table)
        .join(endpoints, endpoints.c.key == table.c.endpoint_key)
        .where(
            endpoints.c.id == endpoint_id,
            table.c.bucket_ms >= start_ms,
            table.c.bucket_ms < end_ms,
        )
        .order_by(table.c.bucket_ms)
    )
    return [as_rollup(endpoint_id, resolution, row) for row in rows]


def table_of(resolution: Resolution) -> Table:
    return _TABLES[resolution]


def bucket_columns(table: Table) -> Select[Any]:
    """What ``as_rollup`` reads of a bucket, and its endpoint's key."""
    return select(
        table.c.endpoint_key,
        table.c.bucket_ms,
        table.c.total,
        table.c.up,
        table.c.rtt_sum_ms,
        table.c.rtt_count,
        table.c.down_events,
    )


def as_rollup(endpoint_id: str, resolution: Resolution, row: Row[Any]) -> Rollup:
    """A row of ``bucket_columns`` as the core knows it (unpacked by position: reading a
    SQLAlchemy row's fields by name costs more than building the rollup)."""
    _, bucket_ms, total, up, rtt_sum_ms, rtt_count, down_events = row
    return Rollup(
        endpoint_id, from_ms(bucket_ms), resolution, total, up, rtt_sum_ms, rtt_count, down_events
    )
