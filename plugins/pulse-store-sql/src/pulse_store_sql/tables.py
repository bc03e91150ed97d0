"""The schema, created with ``metadata.create_all`` (there is no migrations framework yet).

Rows read as records (groups, endpoints, outages, snapshots, configuration versions) are
SQLModel models; the catalogue's tables, which hold a row per endpoint, are still synced with
Core statements in chunks (``catalog``). The tables written in bulk (raw checks and rollups)
are plain SQLAlchemy Core tables, never touched through the ORM: they take thousands of rows
per statement, where building an ORM object per row would dominate the cost (recent checks
even bypass SQLAlchemy's per-row parameter handling, ``checks._insert_rows``).

Endpoints get an integer surrogate ``key`` so the hot tables repeat a small integer per row
instead of the endpoint's string id. Timestamps are integer milliseconds (``millis``).
Neither checks nor rollups carry foreign keys: their keys come from the endpoints table
through this store only, and a per-row constraint check would tax the hottest insert.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class _Row(SQLModel, registry=registry()):
    """Base of this store's models. A registry of its own keeps these tables out of
    SQLModel's process-wide metadata, which other code in the process may share."""


metadata = _Row.metadata


def add_missing_columns(connection: Connection, table: str, columns: Mapping[str, str]) -> None:
    """Add to ``table`` of a database made before them the ``columns`` (name -> SQL type) it
    lacks, empty: ``create_all`` makes missing tables, never missing columns."""
    present = {column["name"] for column in inspect(connection).get_columns(table)}
    for name, column_type in columns.items():
        if name not in present:
            connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {column_type}"))


class GroupRow(_Row, table=True):
    __tablename__ = "groups"

    id: str = Field(primary_key=True)
    name: str
    parent_id: str | None = None
    color: str | None = None
    sort_order: int = 0
    removed: bool = False


class EndpointRow(_Row, table=True):
    """An endpoint ever configured. A removed one keeps its row (and so its history)."""

    __tablename__ = "endpoints"

    key: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True)
    name: str
    group_id: str
    type: str
    host: str
    port: int | None = None
    removed: bool = False


class OutageRow(_Row, table=True):
    __tablename__ = "outages"

    endpoint_key: int = Field(foreign_key="endpoints.key", primary_key=True)
    started_ms: int = Field(sa_type=BigInteger, primary_key=True, index=True)
    ended_ms: int | None = Field(default=None, sa_type=BigInteger)
    last_error: str | None = Field(default=None, sa_type=Text)
    gap: bool = False
    #: the parent's id for a period spent unreachable behind it; NULL for an outage
    cause: str | None = Field(default=None, sa_type=Text)


class SnapshotRow(_Row, table=True):
    """An endpoint's damped state; its open outage is the outage row starting at
    ``open_outage_started_ms``."""

    __tablename__ = "endpoint_snapshots"

    endpoint_key: int = Field(foreign_key="endpoints.key", primary_key=True)
    state: str
    state_since_ms: int | None = Field(default=None, sa_type=BigInteger)
    last_check_ms: int | None = Field(default=None, sa_type=BigInteger)
    open_outage_started_ms: int | None = Field(default=None, sa_type=BigInteger)


class ConfigVersionRow(_Row, table=True):
    __tablename__ = "config_versions"
    # SQLite reuses the largest rowid after a delete unless asked not to.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    applied_ms: int = Field(sa_type=BigInteger)
    sha256: str
    yaml_text: str = Field(sa_type=Text)
    actor: str | None = None
    note: str | None = Field(default=None, sa_type=Text)


class RollupBacklogRow(_Row, table=True):
    """The range of check timestamps not rolled up yet (both ends included): a single row,
    ``id`` 1, empty (NULLs) when rollups are up to date; and the newest check timestamp the
    buckets may count (NULL: not known yet). See ``rollups``."""

    __tablename__ = "rollup_backlog"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    from_ms: int | None = Field(default=None, sa_type=BigInteger)
    to_ms: int | None = Field(default=None, sa_type=BigInteger)
    counted_to_ms: int | None = Field(default=None, sa_type=BigInteger)


groups: Table = GroupRow.__table__  # type: ignore[attr-defined]
endpoints: Table = EndpointRow.__table__  # type: ignore[attr-defined]
outages: Table = OutageRow.__table__  # type: ignore[attr-defined]
snapshots: Table = SnapshotRow.__table__  # type: ignore[attr-defined]
rollup_backlog: Table = RollupBacklogRow.__table__  # type: ignore[attr-defined]

#: Recent checks, one row each: what ``write_checks`` writes, until ``compaction`` packs
#: them into ``check_blocks`` (see ``checks``). No primary key: rows are addressed by the
#: engine's physical row id (SQLite ``rowid``, PostgreSQL ``ctid``) when pruning, which
#: costs no column.
checks = Table(
    "checks",
    metadata,
    Column("endpoint_key", Integer, nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Column("up", Boolean, nullable=False),
    Column("rtt_ms", Float),
    Column("error", Text),
    # History reads: WHERE endpoint_key = ? AND ts_ms >= ? AND ts_ms < ?
    Index("ix_checks_endpoint_ts", "endpoint_key", "ts_ms"),
    # Retention (WHERE ts_ms < ?) and rollups of a time range across all endpoints.
    Index("ix_checks_ts", "ts_ms"),
)


#: Older checks, one row per endpoint and hour (``block_codec`` holds the checks). ``count``,
#: ``last_ts_ms`` and ``last_up`` let retention and rollups skip decoding. A rowid table, not
#: ``WITHOUT ROWID``: SQLite advises that for rows as large as these.
check_blocks = Table(
    "check_blocks",
    metadata,
    Column("endpoint_key", Integer, nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("last_ts_ms", BigInteger, nullable=False),
    Column("last_up", Boolean, nullable=False),
    Column("data", LargeBinary, nullable=False),
    # History reads of one endpoint; one block per endpoint and hour.
    UniqueConstraint("endpoint_key", "start_ms", name="uq_check_blocks_endpoint_start"),
    # Retention and rollups of a time range across all endpoints.
    Index("ix_check_blocks_start", "start_ms"),
)

#: The error texts of packed checks; blocks hold their ids. A few dozen rows, looked up by
#: scanning: no index on ``text``, whose length no probe bounds (PostgreSQL refuses index
#: entries past about 2.7 kB). Two nodes adding the same text at once get two ids for it,
#: which is harmless.
check_errors = Table(
    "check_errors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", Text, nullable=False),
)


def _rollup_table(name: str) -> Table:
    """Aggregates of one endpoint's checks in one UTC bucket, as counts and sums so that
    coarser buckets are exact sums of finer ones."""
    return Table(
        name,
        metadata,
        Column("endpoint_key", Integer, primary_key=True, autoincrement=False),
        Column("bucket_ms", BigInteger, primary_key=True, autoincrement=False),
        Column("total", Integer, nullable=False),
        Column("up", Integer, nullable=False),
        Column("rtt_sum_ms", Float, nullable=False),
        Column("rtt_count", Integer, nullable=False),
        Column("down_events", Integer, nullable=False),
        # Rows are found by their primary key; SQLite stores them in it, without a rowid.
        sqlite_with_rowid=False,
    )


rollups_15m = _rollup_table("rollups_15m")
rollups_daily = _rollup_table("rollups_daily")
# A daily bucket is recomputed from the 15-minute buckets of its day, across endpoints.
Index("ix_rollups_15m_bucket", rollups_15m.c.bucket_ms)
