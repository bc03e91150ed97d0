"""``SqlStore``: the Store contract on SQLite or PostgreSQL through SQLAlchemy.

It is made of one class per role, each in (or beside) the module that owns the role's
tables: ``SqlHistory`` (``history``), ``SqlUpkeep`` (``upkeep``), ``SqlConfigVersions``
(``config_versions``), ``SqlAccounts`` (``accounts``), ``SqlOutbox`` (``outbox``) and
``SqlNodeSupport`` (``nodes``). They share one ``DatabaseRunner``, made here when the store
opens: each turns its arguments into a function of a connection and hands it over, writes to
the single writer thread, reads to the reader pool. Nothing blocking runs on the event loop.
Another store may take some roles from here and implement the others its own way.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import Connection, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from pulse_core.contract import Store, StoreUnavailable

from pulse_store_sql import accounts, catalog, membership, outages, outbox, rollups
from pulse_store_sql.accounts import SqlAccounts
from pulse_store_sql.config_versions import SqlConfigVersions
from pulse_store_sql.database import (
    SQLITE_READER_CACHE_KIB,
    create_database_engine,
    database_url,
)
from pulse_store_sql.history import SqlHistory
from pulse_store_sql.nodes import SqlNodeSupport
from pulse_store_sql.outbox import SqlOutbox
from pulse_store_sql.runner import DatabaseRunner, driver_reason
from pulse_store_sql.tables import metadata
from pulse_store_sql.upkeep import SqlUpkeep

#: Threads (and pooled connections) for reads: enough for a few dashboards at once.
READER_THREADS = 4
#: ``ping`` answers False rather than wait longer than this for the database.
PING_TIMEOUT_S = 5.0


class SqlStore(
    SqlHistory, SqlUpkeep, SqlConfigVersions, SqlAccounts, SqlOutbox, SqlNodeSupport, Store
):
    """History in a SQL database: ``sqlite:///path/pulse.db`` or ``postgresql://...``.

    SQLite serves one node (``exclusive``); the nodes that share a PostgreSQL database
    coordinate through it (``cluster``).
    """

    url_schemes = ("sqlite", "postgresql")

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._database_url = database_url(url)
        self._endpoint_keys = catalog.EndpointKeys()

    async def open(self) -> None:
        runner = DatabaseRunner(
            create_database_engine(self._database_url, connections=1),
            create_database_engine(
                self._database_url, connections=READER_THREADS, cache_kib=SQLITE_READER_CACHE_KIB
            ),
            READER_THREADS,
        )
        try:
            await runner.write(_create_schema)
        except (SQLAlchemyError, StoreUnavailable) as error:
            await runner.close()
            where = make_url(self.url).render_as_string(hide_password=True)
            reason = driver_reason(error)
            raise ConnectionError(f"cannot open the database {where}: {reason}") from error
        self._runner = runner
        self._start_node_support(runner)

    async def close(self) -> None:
        await self._end_node_support()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.close()

    async def ping(self) -> bool:
        if self._runner is None:
            return False
        try:
            await asyncio.wait_for(self._runner.read(_select_one), PING_TIMEOUT_S)
        except Exception:  # whatever went wrong, the answer is "not answering"; never raise
            return False
        return True


def _create_schema(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # cluster nodes starting together would race to create the same tables (and fail
        # on PostgreSQL's catalogue): one at a time, the others then find them made
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema()))"))
    metadata.create_all(connection)
    membership.create(connection)
    outbox.add_claim_columns(connection)
    outages.add_cause_column(connection)
    rollups.create_backlog(connection)
    accounts.drop_session_version(connection)


def _select_one(connection: Connection) -> None:
    connection.execute(text("SELECT 1"))
