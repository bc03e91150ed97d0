"""Endpoints' remembered states, read back at start-up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, and_, func, select

from pulse_core.contract import EndpointSnapshot, State

from pulse_store_sql import checks, outages
from pulse_store_sql.millis import optional_from_ms, optional_to_ms
from pulse_store_sql.tables import endpoints, snapshots
from pulse_store_sql.tables import outages as outages_table
from pulse_store_sql.upsert import upsert


def write(
    connection: Connection, keys: Mapping[str, int], batch: Sequence[EndpointSnapshot]
) -> None:
    """Replace the snapshots of the endpoints in ``batch``.

    An open outage the snapshot points to is stored too if it is missing, so a restart never
    finds a snapshot whose outage is gone; one already stored is left as it is, since the
    outage writes carry its newer details.
    """
    open_outages = [snapshot.open_outage for snapshot in batch if snapshot.open_outage]
    if open_outages:
        outages.write_missing(connection, keys, open_outages)
    connection.execute(
        upsert(connection, snapshots, ["endpoint_key"]),
        [
            {
                "endpoint_key": keys[snapshot.endpoint_id],
                "state": snapshot.state.value,
                "state_since_ms": optional_to_ms(snapshot.state_since),
                "last_check_ms": optional_to_ms(snapshot.last_check_ts),
                "open_outage_started_ms": (
                    optional_to_ms(snapshot.open_outage.started_ts)
                    if snapshot.open_outage
                    else None
                ),
            }
            for snapshot in batch
        ],
    )


def load(connection: Connection) -> dict[str, EndpointSnapshot]:
    """Every snapshot by endpoint id, with its open outage, and as last check the newest
    check stored (the snapshot's own value only when no check is left)."""
    query = (
        select(
            endpoints.c.id,
            snapshots.c.state,
            snapshots.c.state_since_ms,
            func.coalesce(
                checks.newest_ts_ms(snapshots.c.endpoint_key), snapshots.c.last_check_ms
            ).label("last_check_ms"),
            outages_table.c.started_ms,
            outages_table.c.ended_ms,
            outages_table.c.last_error,
            outages_table.c.gap,
            outages_table.c.cause,
        )
        .join(endpoints, endpoints.c.key == snapshots.c.endpoint_key)
        .outerjoin(
            outages_table,
            and_(
                outages_table.c.endpoint_key == snapshots.c.endpoint_key,
                outages_table.c.started_ms == snapshots.c.open_outage_started_ms,
            ),
        )
    )
    states = {state.value: state for state in State}
    loaded: dict[str, EndpointSnapshot] = {}
    rows = connection.execute(query)
    for endpoint_id, state, since_ms, last_ms, started_ms, ended_ms, error, gap, cause in rows:
        open_outage = None
        if started_ms is not None:
            open_outage = outages.from_columns(
                endpoint_id, started_ms, ended_ms, error, gap, cause
            )
        loaded[endpoint_id] = EndpointSnapshot(
            endpoint_id, states[state], optional_from_ms(since_ms), optional_from_ms(last_ms),
            open_outage,
        )
    return loaded
