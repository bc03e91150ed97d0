"""The history role: the catalogue, and the checks, outages, states and buckets of endpoints.

It spans the modules that own those tables (``catalog``, ``checks``, ``outages``,
``snapshots``, ``rollups``, ``bulk_reads``): each of them speaks in endpoint keys and
milliseconds; this class speaks the contract's endpoint ids and seconds, and keeps the cache
of endpoint keys every write needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection

from pulse_core.contract import (
    PAGE_ROWS,
    CheckResult,
    Endpoint,
    EndpointSnapshot,
    Group,
    HistoryStore,
    Outage,
    Resolution,
    Rollup,
)

from pulse_store_sql import bulk_reads, catalog, checks, outages, rollups, snapshots
from pulse_store_sql.chunks import chunks
from pulse_store_sql.millis import to_ms
from pulse_store_sql.process_reads import PageSource
from pulse_store_sql.runner import DatabaseRole

AboutEndpoint = TypeVar("AboutEndpoint", Outage, EndpointSnapshot)


class SqlHistory(HistoryStore, DatabaseRole):
    """History in the tables of the SQL store; ``SqlStore`` answers ``ping``."""

    #: endpoint id → key of the configured endpoints, made by ``SqlStore``
    _endpoint_keys: catalog.EndpointKeys

    # -- catalogue ----------------------------------------------------------------------------
    async def sync_catalog(self, groups: Sequence[Group], endpoints: Sequence[Endpoint]) -> None:
        await self._write(lambda connection: catalog.sync_catalog(connection, groups, endpoints))
        # Only keys that were committed may be cached: a rolled-back key could be reused.
        endpoint_ids = [endpoint.id for endpoint in endpoints]
        await self._write(lambda connection: self._endpoint_keys.load(connection, endpoint_ids))

    async def update_catalog(
        self,
        groups: Sequence[Group],
        endpoints: Sequence[Endpoint],
        changed: Sequence[Endpoint],
        removed: Sequence[Endpoint],
    ) -> None:
        # The keys of new endpoints are cached by their first write; those of removed ones
        # may stay cached (late writes of theirs are still stored).
        removed_ids = [endpoint.id for endpoint in removed]
        await self._write(
            lambda connection: catalog.update_catalog(connection, groups, changed, removed_ids)
        )

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
        start_ms, end_ms = to_ms(start), to_ms(end)
        return await self._read(
            lambda connection: checks.select_range(connection, endpoint_id, start_ms, end_ms, limit)
        )

    async def outages(self, endpoint_id: str | None, start: float, end: float) -> list[Outage]:
        start_ms, end_ms = to_ms(start), to_ms(end)
        return await self._read(
            lambda connection: outages.overlapping(connection, endpoint_id, start_ms, end_ms)
        )

    async def rollups(
        self, endpoint_id: str, resolution: Resolution, start: float, end: float
    ) -> list[Rollup]:
        start_ms, end_ms = to_ms(start), to_ms(end)
        return await self._read(
            lambda connection: rollups.select_range(
                connection, endpoint_id, resolution, start_ms, end_ms
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
        start_ms, end_ms = to_ms(start), to_ms(end)
        pages = await self._read(
            lambda connection: bulk_reads.check_pages(
                connection, endpoint_ids, start_ms, end_ms, page_rows
            )
        )
        texts: dict[int, str] = {}  # error texts by id, kept from page to page
        for page in pages:
            found = await self._read(partial(bulk_reads.read_check_rows, page=page, texts=texts))
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
        known = await self._read(
            lambda connection: bulk_reads.known_endpoints(connection, endpoint_ids)
        )
        for page in bulk_reads.rollup_pages(known, resolution, to_ms(start), to_ms(end), page_rows):
            found = await self._read(
                partial(bulk_reads.read_rollup_rows, page=page, resolution=resolution)
            )
            if found:
                yield found

    def bulk_read_source(
        self,
        endpoint_ids: Sequence[str],
        resolution: Resolution | None,
        start: float,
        end: float,
        page_rows: int = PAGE_ROWS,
    ) -> PageSource | None:
        """``History.bulk_read_source``: the reads of ``check_rows_many`` and
        ``rollup_rows_many`` on a read-only connection of the reading process's own
        (``process_reads``); None when these are not the reads of this store: a store that
        takes the history role from elsewhere keeps the export in its own process."""
        own = type(self).check_rows_many is SqlHistory.check_rows_many and (
            type(self).rollup_rows_many is SqlHistory.rollup_rows_many
        )
        if not own or self._runner is None:
            return None
        return PageSource(
            self._runner.reader_engine.url, endpoint_ids, resolution, to_ms(start), to_ms(end),
            page_rows,
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
