"""The cluster's members on PostgreSQL: one row per node name in ``pulse_cluster_nodes``.

A row is one membership: its ``epoch`` (the fencing token) comes from a sequence, so no two
memberships ever share one, not even after a node left and its name joined again. Every time
that decides whether a lease lapsed is the database's ``now()``, never a node's clock. The
statements are plain SQL run on psycopg connections of the coordination (``cluster``); the
store's own writes check a membership with ``fencing``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Connection, column, table, text

from pulse_core.contract import NodeRecord, NodeStats

if TYPE_CHECKING:  # psycopg is imported with the coordination, on PostgreSQL only
    import psycopg

TABLE = "pulse_cluster_nodes"
#: the columns other statements judge a membership by (``outbox``)
nodes_table = table(
    TABLE, column("name"), column("epoch"), column("dead", Boolean), column("lease_until")
)

_CREATE = (
    "CREATE SEQUENCE IF NOT EXISTS pulse_cluster_epochs",
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        name TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        joined TIMESTAMPTZ NOT NULL,
        heartbeat TIMESTAMPTZ NOT NULL,
        lease_until TIMESTAMPTZ NOT NULL,
        dead BOOLEAN NOT NULL,
        endpoints_owned INTEGER NOT NULL,
        checks_per_s DOUBLE PRECISION NOT NULL,
        version TEXT NOT NULL,
        address TEXT
    )""",
)


def create(connection: Connection) -> None:
    """Create the table on PostgreSQL, the one database nodes share (SQLite needs none)."""
    if connection.dialect.name == "postgresql":
        for statement in _CREATE:
            connection.execute(text(statement))


#: a new name joins; a known one takes its name over only when that membership is dead or
#: its lease lapsed (the ``WHERE`` of ``DO UPDATE``: otherwise no row comes back)
_JOIN = f"""
INSERT INTO {TABLE} AS node (name, site, epoch, joined, heartbeat, lease_until, dead,
                             endpoints_owned, checks_per_s, version, address)
VALUES (%(name)s, %(site)s, nextval('pulse_cluster_epochs'), now(), now(),
        now() + make_interval(secs => %(lease_s)s), FALSE,
        %(endpoints_owned)s, %(checks_per_s)s, %(version)s, %(address)s)
ON CONFLICT (name) DO UPDATE SET
    site = EXCLUDED.site, epoch = EXCLUDED.epoch, joined = now(), heartbeat = now(),
    lease_until = EXCLUDED.lease_until, dead = FALSE,
    endpoints_owned = EXCLUDED.endpoints_owned, checks_per_s = EXCLUDED.checks_per_s,
    version = EXCLUDED.version, address = EXCLUDED.address
WHERE node.dead OR node.lease_until <= now()
RETURNING epoch
"""

_HEARTBEAT = f"""
UPDATE {TABLE} SET heartbeat = now(), lease_until = now() + make_interval(secs => %(lease_s)s),
    endpoints_owned = %(endpoints_owned)s, checks_per_s = %(checks_per_s)s,
    version = %(version)s, address = %(address)s
WHERE name = %(name)s AND epoch = %(epoch)s AND NOT dead
"""

#: waits for the row lock of the node's fenced writes in progress (``fencing``)
_DECLARE_DEAD = f"""
UPDATE {TABLE} SET dead = TRUE
WHERE name = %(name)s AND epoch = %(epoch)s AND NOT dead AND lease_until < now()
"""

_LEAVE = f"DELETE FROM {TABLE} WHERE name = %(name)s AND epoch = %(epoch)s"

_NODES = f"""
SELECT name, site, epoch, extract(epoch FROM joined)::float8,
       extract(epoch FROM heartbeat)::float8, extract(epoch FROM now() - heartbeat)::float8,
       NOT dead AND lease_until > now(),
       endpoints_owned, checks_per_s, version, address
FROM {TABLE} ORDER BY name
"""

async def join(
    connection: psycopg.AsyncConnection[Any], name: str, site: str, lease_s: float, stats: NodeStats
) -> int | None:
    """The new epoch, or ``None`` while a live membership holds ``name``."""
    cursor = await connection.execute(_JOIN, _parameters(stats, name=name, site=site, lease_s=lease_s))
    row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def heartbeat(
    connection: psycopg.AsyncConnection[Any], name: str, epoch: int, lease_s: float, stats: NodeStats
) -> bool:
    """Whether membership ``epoch`` of ``name`` was still there (not declared dead)."""
    cursor = await connection.execute(
        _HEARTBEAT, _parameters(stats, name=name, epoch=epoch, lease_s=lease_s)
    )
    return cursor.rowcount == 1


async def declare_dead(connection: psycopg.AsyncConnection[Any], name: str, epoch: int) -> bool:
    cursor = await connection.execute(_DECLARE_DEAD, {"name": name, "epoch": epoch})
    return cursor.rowcount == 1


async def leave(connection: psycopg.AsyncConnection[Any], name: str, epoch: int) -> None:
    await connection.execute(_LEAVE, {"name": name, "epoch": epoch})


async def nodes(connection: psycopg.AsyncConnection[Any]) -> list[NodeRecord]:
    cursor = await connection.execute(_NODES)
    return [
        NodeRecord(
            name=name,
            site=site,
            epoch=epoch,
            joined_ts=joined_ts,
            heartbeat_ts=heartbeat_ts,
            lease_age_s=lease_age_s,
            alive=alive,
            stats=NodeStats(endpoints_owned, checks_per_s, version, address),
        )
        for (
            name, site, epoch, joined_ts, heartbeat_ts, lease_age_s, alive,
            endpoints_owned, checks_per_s, version, address,
        ) in await cursor.fetchall()
    ]


def _parameters(stats: NodeStats, **values: Any) -> dict[str, Any]:
    return {
        **values,
        "endpoints_owned": stats.endpoints_owned,
        "checks_per_s": stats.checks_per_s,
        "version": stats.version,
        "address": stats.address,
    }
