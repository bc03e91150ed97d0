"""``SqlStore``: the Store contract on SQLite or PostgreSQL through SQLAlchemy.

Each method turns its arguments into a function of a connection (from the modules that own
the tables) and hands it to the ``DatabaseRunner``: writes to the single writer thread,
reads to the reader pool. Nothing blocking runs on the event loop. The roles that own
tables of their own come from their modules: ``SqlConfigVersions`` (``config_versions``),
``SqlAccounts`` (``accounts``) and ``SqlOutbox`` (``outbox``), sharing the runner
(``DatabaseRole``).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from pulse_core.contract import (
    PAGE_ROWS,
    CheckResult,
    Coordination,
    Endpoint,
    EndpointSnapshot,
    Group,
    NodeSupport,
    Outage,
    Resolution,
    Rollup,
    Store,
    StoreUnavailable,
)

from pulse_store_sql import (
    accounts,
    bulk_reads,
    catalog,
    checks,
    compaction,
    exclusive,
    membership,
    outages,
    outbox,
    rollups,
    snapshots,
)
from pulse_store_sql.chunks import chunks
from pulse_store_sql.cluster import PostgresCoordination
from pulse_store_sql.database import (
    SQLITE_READER_CACHE_KIB,
    create_database_engine,
    database_url,
)
from pulse_store_sql.millis import to_ms
from pulse_store_sql.accounts import SqlAccounts
from pulse_store_sql.config_versions import SqlConfigVersions
from pulse_store_sql.outbox import SqlOutbox
from pulse_store_sql.runner import DatabaseRunner, driver_reason
from pulse_store_sql.tables import metadata

AboutEndpoint = TypeVar("AboutEndpoint", Outage, EndpointSnapshot)

#: Threads (and pooled connections) for reads: enough for a few dashboards at once.
READER_THREADS = 4
#: ``ping`` answers False rather than wait longer than this for the database.
PING_TIMEOUT_S = 5.0


class SqlStore(SqlConfigVersions, SqlAccounts, SqlOutbox, Store, NodeSupport):
    """History in a SQL database: ``sqlite:///path/pulse.db`` or ``postgresql://...``.

    SQLite serves one node (``exclusive``); the nodes that share a PostgreSQL database
    coordinate through it (``cluster``).
    """

    url_schemes = ("sqlite", "postgresql")

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._database_url = database_url(url)
        self._runner: DatabaseRunner | None = None
        self._endpoint_keys = catalog.EndpointKeys()
        self._coordination: PostgresCoordination | None = None
        self._exclusive_claim: Path | None = None

    # -- life cycle ---------------------------------------------------------------------------
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
        if self._database_url.get_backend_name() == "postgresql":
            self._coordination = PostgresCoordination(runner)

    async def close(self) -> None:
        if self._coordination is not None:
            coordination, self._coordination = self._coordination, None
            await coordination.close()
        if self._exclusive_claim is not None:
            claim, self._exclusive_claim = self._exclusive_claim, None
            exclusive.release(claim)
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

    # -- nodes --------------------------------------------------------------------------------
    def coordination(self) -> Coordination | None:
        self._open_runner()
        return self._coordination

    async def claim_exclusive_use(self) -> None:
        database = self._database_url.database
        if self._database_url.get_backend_name() == "sqlite" and self._exclusive_claim is None:
            assert database is not None  # database_url() guarantees a file path
            self._exclusive_claim = await asyncio.to_thread(exclusive.claim, Path(database))

    # -- catalogue ----------------------------------------------------------------------------
    async def sync_catalog(self, groups: Sequence[Group], endpoints: Sequence[Endpoint]) -> None:
        await self._write(partial(catalog.sync_catalog, groups=groups, endpoints=endpoints))
        # Only keys that were committed may be cached: a rolled-back key could be reused.
        endpoint_ids = [endpoint.id for endpoint in endpoints]
        await self._write(partial(self._endpoint_keys.load, endpoint_ids=endpoint_ids))

    # -- writes -------------------------------------------------------------------------------
    async def write_checks(self, batch: Sequence[CheckResult]) -> None:
        if not batch:
            return

        def work(connection: Connection) -> None:
            keys = self._endpoint_keys.resolve(connection, (check.endpoint_id for check in batch))
            checks.insert(connection, keys, batch)
            timestamps = [check.ts for check in batch]
            rollups.add_to_backlog(connection, to_ms(min(timestamps)), to_ms(max(timestamps)))

        await self._write(work)

    async def write_outages(self, batch: Sequence[Outage]) -> None:
        if batch:
            await self._write_for_endpoints(outages.write, batch)

    async def write_snapshots(self, batch: Sequence[EndpointSnapshot]) -> None:
        if batch:
            await self._write_for_endpoints(snapshots.write, batch)

    # -- restart ------------------------------------------------------------------------------
    async def load_snapshots(self) -> dict[str, EndpointSnapshot]:
        return await self._read(snapshots.load)

    # -- reads --------------------------------------------------------------------------------
    async def checks(
        self, endpoint_id: str, start: float, end: float, limit: int | None = None
    ) -> list[CheckResult]:
        return await self._read(
            partial(
                checks.select_range,
                endpoint_id=endpoint_id,
                start_ms=to_ms(start),
                end_ms=to_ms(end),
                limit=limit,
            )
        )

    async def outages(self, endpoint_id: str | None, start: float, end: float) -> list[Outage]:
        return await self._read(
            partial(
                outages.overlapping,
                endpoint_id=endpoint_id,
                start_ms=to_ms(start),
                end_ms=to_ms(end),
            )
        )

    async def rollups(
        self, endpoint_id: str, resolution: Resolution, start: float, end: float
    ) -> list[Rollup]:
        return await self._read(
            partial(
                rollups.select_range,
                endpoint_id=endpoint_id,
                resolution=resolution,
                start_ms=to_ms(start),
                end_ms=to_ms(end),
            )
        )

    # -- bulk reads ---------------------------------------------------------------------------
    async def checks_many(
        self, endpoint_ids: Sequence[str], start: float, end: float, page_rows: int = PAGE_ROWS
    ) -> AsyncIterator[list[CheckResult]]:
        async for runs in self.check_rows_many(endpoint_ids, start, end, page_rows):
            yield bulk_reads.check_results(runs)

    async def rollups_many(
        self,
        endpoint_ids: Sequence[str],
        resolution: Resolution,
        start: float,
        end: float,
        page_rows: int = PAGE_ROWS,
    ) -> AsyncIterator[list[Rollup]]:
        async for runs in self.rollup_rows_many(endpoint_ids, resolution, start, end, page_rows):
            yield bulk_reads.rollups_of(runs, resolution)

    async def check_rows_many(
        self, endpoint_ids: Sequence[str], start: float, end: float, page_rows: int = PAGE_ROWS
    ) -> AsyncIterator[list[bulk_reads.CheckRun]]:
        plan = partial(
            bulk_reads.check_pages, endpoint_ids=endpoint_ids, start_ms=to_ms(start),
            end_ms=to_ms(end), page_rows=page_rows,
        )
        for page in await self._read(plan):
            found = await self._read(partial(bulk_reads.read_check_rows, page=page))
            if found:  # a block straddling the range counted whole, so a page may come out empty
                yield found

    async def rollup_rows_many(
        self,
        endpoint_ids: Sequence[str],
        resolution: Resolution,
        start: float,
        end: float,
        page_rows: int = PAGE_ROWS,
    ) -> AsyncIterator[list[bulk_reads.RollupRun]]:
        known = await self._read(partial(bulk_reads.known_endpoints, endpoint_ids=endpoint_ids))
        for page in bulk_reads.rollup_pages(known, resolution, to_ms(start), to_ms(end), page_rows):
            found = await self._read(
                partial(bulk_reads.read_rollup_rows, page=page, resolution=resolution)
            )
            if found:
                yield found

    # -- maintenance --------------------------------------------------------------------------
    async def update_rollups(self) -> int:
        """Also packs the checks of the hours now rolled up into blocks (``compaction``)."""
        written = 0
        until_ms = await self._read(rollups.backlog_end)
        if until_ms is not None:
            # One transaction per slice (a day at most), so writes of new checks run between.
            roll_up_slice = partial(rollups.roll_up_oldest_slice, until_ms=until_ms)
            while (slice_written := await self._write(roll_up_slice)) is not None:
                written += slice_written
        await compaction.pack_closed_hours(self._open_runner(), to_ms(time.time()))
        return written

    async def prune_checks(self, before: float, batch_size: int) -> int:
        return await self._write(
            partial(checks.prune, before_ms=to_ms(before), batch_size=batch_size)
        )

    # -- plumbing -----------------------------------------------------------------------------
    async def _write_for_endpoints(
        self,
        write: Callable[[Connection, Mapping[str, int], Sequence[AboutEndpoint]], None],
        batch: Sequence[AboutEndpoint],
    ) -> None:
        """Run ``write`` with the keys of the endpoints ``batch`` is about, a chunk at a time
        in one transaction: after a restart, a gap may close the outages of every endpoint
        at once, and rows and parameters for all of them would make a peak that the
        allocator keeps (``chunks``)."""

        def work(connection: Connection) -> None:
            for chunk in chunks(batch):
                keys = self._endpoint_keys.resolve(connection, (item.endpoint_id for item in chunk))
                write(connection, keys, chunk)

        await self._write(work)


def _create_schema(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # cluster nodes starting together would race to create the same tables (and fail
        # on PostgreSQL's catalogue): one at a time, the others then find them made
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema()))"))
    metadata.create_all(connection)
    membership.create(connection)
    outbox.add_claim_columns(connection)
    rollups.create_backlog(connection)
    accounts.drop_session_version(connection)


def _select_one(connection: Connection) -> None:
    connection.execute(text("SELECT 1"))

