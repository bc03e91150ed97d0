"""Outages, identified by ``(endpoint, started)``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, or_, select

from pulse_core.contract import Outage

from pulse_store_sql.millis import from_ms, optional_from_ms, optional_to_ms, to_ms
from pulse_store_sql.tables import add_missing_columns, endpoints, outages
from pulse_store_sql.upsert import insert_missing, upsert

_IDENTITY = ("endpoint_key", "started_ms")


def write(connection: Connection, keys: Mapping[str, int], batch: Sequence[Outage]) -> None:
    """Insert ``batch``, overwriting outages already stored (later in the batch wins)."""
    connection.execute(upsert(connection, outages, _IDENTITY), _rows(keys, batch))


def write_missing(connection: Connection, keys: Mapping[str, int], batch: Sequence[Outage]) -> None:
    """Insert the outages of ``batch`` that are not stored yet; leave the others as they are."""
    connection.execute(insert_missing(connection, outages, _IDENTITY), _rows(keys, batch))


def _rows(keys: Mapping[str, int], batch: Sequence[Outage]) -> list[dict[str, Any]]:
    return [
        {
            "endpoint_key": keys[outage.endpoint_id],
            "started_ms": to_ms(outage.started_ts),
            "ended_ms": optional_to_ms(outage.ended_ts),
            "last_error": outage.last_error,
            "gap": outage.gap,
            "cause": outage.cause,
        }
        for outage in batch
    ]


def overlapping(
    connection: Connection, endpoint_id: str | None, start_ms: int, end_ms: int
) -> list[Outage]:
    """Outages (of one endpoint, or of all) overlapping ``[start_ms, end_ms)``, oldest first.
    An open outage lasts until now, so it overlaps every range that ends after its start."""
    query = (
        select(
            endpoints.c.id,
            outages.c.started_ms,
            outages.c.ended_ms,
            outages.c.last_error,
            outages.c.gap,
            outages.c.cause,
        )
        .join(endpoints, endpoints.c.key == outages.c.endpoint_key)
        .where(
            outages.c.started_ms < end_ms,
            or_(outages.c.ended_ms.is_(None), outages.c.ended_ms > start_ms),
        )
        .order_by(outages.c.started_ms, endpoints.c.id)
    )
    if endpoint_id is not None:
        query = query.where(endpoints.c.id == endpoint_id)
    return [
        from_columns(row.id, row.started_ms, row.ended_ms, row.last_error, row.gap, row.cause)
        for row in connection.execute(query)
    ]


def from_columns(
    endpoint_id: str,
    started_ms: int,
    ended_ms: int | None,
    last_error: str | None,
    gap: bool,
    cause: str | None,
) -> Outage:
    """The outage stored in a row of the outages table."""
    return Outage(
        endpoint_id=endpoint_id,
        started_ts=from_ms(started_ms),
        ended_ts=optional_from_ms(ended_ms),
        last_error=last_error,
        gap=gap,
        cause=cause,
    )


def add_cause_column(connection: Connection) -> None:
    """Databases made before unreachable periods were kept have no ``cause`` column; added
    empty (every outage stored until then is one of the endpoint's own)."""
    add_missing_columns(connection, "outages", {"cause": "TEXT"})
