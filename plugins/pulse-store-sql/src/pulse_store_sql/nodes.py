"""The role the SQL store plays towards the Pulse processes that use it (``NodeSupport``).

A SQLite file serves one node: ``claim_exclusive_use`` holds its lock file (``exclusive``).
The nodes that share a PostgreSQL database coordinate through it (``cluster``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import URL

from pulse_core.contract import Coordination, NodeSupport

from pulse_store_sql import exclusive
from pulse_store_sql.runner import DatabaseRole, DatabaseRunner

if TYPE_CHECKING:
    from pulse_store_sql.cluster import PostgresCoordination


class SqlNodeSupport(NodeSupport, DatabaseRole):
    """Node support of the database at ``_database_url`` (set by ``SqlStore``), started with
    the runner (``_start_node_support``) and ended before it (``_end_node_support``)."""

    _database_url: URL
    _coordination: PostgresCoordination | None = None
    _exclusive_claim: Path | None = None

    def coordination(self) -> Coordination | None:
        self._open_runner()
        return self._coordination

    async def claim_exclusive_use(self) -> None:
        database = self._database_url.database
        if self._database_url.get_backend_name() == "sqlite" and self._exclusive_claim is None:
            assert database is not None  # database_url() guarantees a file path
            self._exclusive_claim = await asyncio.to_thread(exclusive.claim, Path(database))

    def _start_node_support(self, runner: DatabaseRunner) -> None:
        """On PostgreSQL, coordinate; the coordination and psycopg are imported here, not
        with the store, which a SQLite site (and every ``pulse`` command) loads."""
        if self._database_url.get_backend_name() == "postgresql":
            from pulse_store_sql.cluster import PostgresCoordination

            self._coordination = PostgresCoordination(runner)

    async def _end_node_support(self) -> None:
        """Stop coordinating and give up the claim, while the runner still runs."""
        if self._coordination is not None:
            coordination, self._coordination = self._coordination, None
            await coordination.close()
        if self._exclusive_claim is not None:
            claim, self._exclusive_claim = self._exclusive_claim, None
            exclusive.release(claim)
