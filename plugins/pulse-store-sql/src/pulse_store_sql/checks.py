"""Raw checks: the one module that knows how they are laid out.

Everything that reads or writes the ``checks`` table goes through here, rollups included, so
the table can later be compacted (its rows are the bulk of the database) by changing this
module alone. Writes are SQLAlchemy Core ``executemany``: a batch of thousands of checks is
one statement, with no ORM object per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnClause,
    ColumnElement,
    Connection,
    ScalarSelect,
    Select,
    and_,
    case,
    delete,
    func,
    literal_column,
    select,
)

from pulse_core.models import CheckResult, CheckStatus

from pulse_store_sql.millis import from_ms, to_ms
from pulse_store_sql.tables import checks, endpoints


def insert(connection: Connection, keys: Mapping[str, int], batch: Sequence[CheckResult]) -> None:
    """Append ``batch``; ``keys`` maps each endpoint id in it to its key."""
    connection.execute(
        checks.insert(),
        [
            {
                "endpoint_key": keys[check.endpoint_id],
                "ts_ms": to_ms(check.ts),
                "up": check.status is CheckStatus.UP,
                "rtt_ms": check.rtt_ms,
                "error": check.error,
            }
            for check in batch
        ],
    )


def select_range(
    connection: Connection, endpoint_id: str, start_ms: int, end_ms: int, limit: int | None
) -> list[CheckResult]:
    """Checks of one endpoint with ``start_ms <= ts < end_ms``, oldest first; with ``limit``,
    the newest ``limit`` of them."""
    query = (
        select(checks.c.ts_ms, checks.c.up, checks.c.rtt_ms, checks.c.error)
        .join(endpoints, endpoints.c.key == checks.c.endpoint_key)
        .where(
            endpoints.c.id == endpoint_id,
            checks.c.ts_ms >= start_ms,
            checks.c.ts_ms < end_ms,
        )
    )
    if limit is None:
        rows = list(connection.execute(query.order_by(checks.c.ts_ms)))
    else:
        rows = list(connection.execute(query.order_by(checks.c.ts_ms.desc()).limit(limit)))
        rows.reverse()
    return [
        CheckResult(
            endpoint_id=endpoint_id,
            ts=from_ms(ts_ms),
            status=CheckStatus.UP if up else CheckStatus.DOWN,
            rtt_ms=rtt_ms,
            error=error,
        )
        for ts_ms, up, rtt_ms, error in rows
    ]


def prune(connection: Connection, before_ms: int, batch_size: int) -> int:
    """Delete at most ``batch_size`` checks older than ``before_ms``; return how many.

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


def newest_ts_ms(endpoint_key: ColumnElement[int]) -> ScalarSelect[int]:
    """The time of the newest check of ``endpoint_key`` (NULL without checks), for use as a
    correlated subquery."""
    return (
        select(func.max(checks.c.ts_ms))
        .where(checks.c.endpoint_key == endpoint_key)
        .scalar_subquery()
    )


def bucket_aggregates(start_ms: int, end_ms: int, bucket_ms: int) -> Select[Any]:
    """Per endpoint and ``bucket_ms``-wide bucket in ``[start_ms, end_ms)`` (both bucket
    boundaries): ``endpoint_key, bucket_ms, total, up, rtt_sum_ms, rtt_count, down_events``.

    RTTs count only for up checks. A down event is a down check whose previous check, in
    time, is up. ``LAG`` finds the previous check inside the range; for an endpoint's first
    check in the range, the previous one is looked up before ``start_ms`` (one index probe
    per endpoint: ``COALESCE`` evaluates it only when ``LAG`` has nothing). The range itself
    is read through the timestamp index alone, however long ago an endpoint's last check was.
    """
    previous = checks.alias("previous")
    last_up_before_range = (
        select(previous.c.up)
        .where(previous.c.endpoint_key == checks.c.endpoint_key, previous.c.ts_ms < start_ms)
        .order_by(previous.c.ts_ms.desc())
        .limit(1)
        .scalar_subquery()
    )
    previous_up = func.coalesce(
        func.lag(checks.c.up).over(partition_by=checks.c.endpoint_key, order_by=checks.c.ts_ms),
        last_up_before_range,
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
        .where(checks.c.ts_ms >= start_ms, checks.c.ts_ms < end_ms)
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
