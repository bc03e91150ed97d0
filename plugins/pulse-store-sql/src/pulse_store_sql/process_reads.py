"""``SqlHistory``'s bulk reads, done again in a process of their own (an export's workers).

A large export read and encoded in the Pulse process holds its interpreter for seconds
(a day of raw checks of 10,000 endpoints: 5-10 s), while checks fall due and state changes
wait; in worker processes it takes neither the interpreter nor the event loop, and can use
every core. What a worker reads must be what the store would have handed the export, so
it runs the very functions ``SqlHistory.check_rows_many`` / ``rollup_rows_many`` run
(``bulk_reads``: the same page plan, the same queries, the same tuples), on a connection
of its own: SQLite opened read-only (WAL lets it read beside the Pulse's writer), a
PostgreSQL session whose transactions are read-only.

A ``PageSource`` is pickled to the worker with the URL and the request; its connection is
made in the process that reads, never carried over a ``fork``: the worker that plans the
pages closes its connection before the pages are shared out, and each worker then opens
its own on its first read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from pulse_core.contract import Resolution

from pulse_store_sql import bulk_reads
from pulse_store_sql.database import SQLITE_BUSY_TIMEOUT_MS, SQLITE_READER_CACHE_KIB


def read_only_engine(url: URL) -> Engine:
    """An engine that cannot write: SQLite's file opened with ``mode=ro`` (its WAL and
    shared memory are the running store's), PostgreSQL with read-only transactions. No
    pool: a worker reads on one connection and ends."""
    if url.get_backend_name() == "sqlite":
        assert url.database is not None  # database_url() guarantees a file path
        engine = create_engine(
            f"sqlite:///file:{quote(url.database)}?mode=ro&uri=true", poolclass=NullPool
        )
        event.listen(engine, "connect", _tune_sqlite_reader)
        return engine
    options = url.query.get("options", "")  # the URL's own (a search path, say) kept
    if isinstance(options, tuple):
        options = " ".join(options)
    read_only = f"{options} -c default_transaction_read_only=on".strip()
    return create_engine(url.update_query_dict({"options": read_only}), poolclass=NullPool)


def _tune_sqlite_reader(connection: sqlite3.Connection, _record: Any) -> None:
    """The store's readers' cache and wait for a lock (``database``); the journal mode is
    the database's already, and a read-only connection may not set it."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_READER_CACHE_KIB}")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


@dataclass
class PageSource:
    """The pages of ``check_rows_many`` (``resolution`` None) or ``rollup_rows_many`` for
    one request, read in whichever process calls ``plan`` and ``read``."""

    url: URL
    endpoint_ids: Sequence[str]
    resolution: Resolution | None
    start_ms: int
    end_ms: int
    page_rows: int
    #: error texts by id, kept from page to page as ``SqlHistory.check_rows_many`` keeps them
    _texts: dict[int, str] = field(default_factory=dict, repr=False)
    _engine: Engine | None = field(default=None, repr=False)
    _connection: Connection | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Without the connection: it belongs to the process that made it."""
        return {**self.__dict__, "_texts": {}, "_engine": None, "_connection": None}

    def plan(self) -> list[bulk_reads.Page]:
        """The pages, as the store plans them."""
        connection = self._connected()
        try:
            if self.resolution is None:
                return bulk_reads.check_pages(
                    connection, self.endpoint_ids, self.start_ms, self.end_ms, self.page_rows
                )
            known = bulk_reads.known_endpoints(connection, self.endpoint_ids)
        finally:
            connection.rollback()
        return list(bulk_reads.rollup_pages(
            known, self.resolution, self.start_ms, self.end_ms, self.page_rows
        ))

    def read(self, page: bulk_reads.Page) -> list[bulk_reads.CheckRun] | list[bulk_reads.RollupRun]:
        """One planned page's runs, as the store reads them."""
        connection = self._connected()
        try:
            if self.resolution is None:
                return bulk_reads.read_check_rows(connection, page, self._texts)
            return bulk_reads.read_rollup_rows(connection, page, self.resolution)
        finally:  # a page per transaction, as the store reads: no snapshot held for the export
            connection.rollback()

    def close(self) -> None:
        """Release the connection (before a ``fork``, and at the end)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _connected(self) -> Connection:
        if self._connection is None:
            self._engine = read_only_engine(self.url)
            self._connection = self._engine.connect()
        return self._connection
