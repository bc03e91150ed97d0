"""Reading many endpoints' history in bounded pages, for exports of any size.

A page is one endpoint over a time slice that holds at most ``ROWS_PER_PAGE`` rows (a check
per interval, a rollup per bucket), so memory depends on neither the requested range nor the
number of endpoints. A few pages are read ahead so the store's reader threads work while the
previous page is being encoded and sent. Callers clip the range to where data can exist, so
an export of "everything since 2000" does not query decades of empty slices.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import AsyncIterator, Iterator, Sequence, Union

from pulse_core.models import CheckResult, Resolution, Rollup
from pulse_core.store import Store
from pulse_core.web.api.catalog import CatalogEntry
from pulse_core.web.api.query import BUCKET_SECONDS, Bucket

Record = Union[CheckResult, Rollup]

ROWS_PER_PAGE = 10_000
RESOLUTIONS = {"15m": Resolution.QUARTER_HOUR, "daily": Resolution.DAILY}
READ_AHEAD = 4


async def _read_page(
    store: Store, endpoint_id: str, bucket: Bucket, start: float, end: float
) -> Sequence[Record]:
    if bucket == "raw":
        return await store.checks(endpoint_id, start, end)
    return await store.rollups(endpoint_id, RESOLUTIONS[bucket], start, end)


def _page_seconds(entry: CatalogEntry, bucket: Bucket) -> float:
    row_seconds = entry.endpoint.interval_s if bucket == "raw" else BUCKET_SECONDS[bucket]
    return row_seconds * ROWS_PER_PAGE


def _slices(start: float, end: float, size: float) -> Iterator[tuple[float, float]]:
    while start < end:
        yield start, min(start + size, end)
        start += size


async def history_pages(
    store: Store, entries: Sequence[CatalogEntry], bucket: Bucket, start: float, end: float
) -> AsyncIterator[tuple[CatalogEntry, Sequence[Record]]]:
    """Each endpoint's records in ``[start, end)``, endpoint by endpoint, oldest first."""
    pending: deque[tuple[CatalogEntry, asyncio.Future[Sequence[Record]]]] = deque()
    try:
        for entry in entries:
            for first, last in _slices(start, end, _page_seconds(entry, bucket)):
                read = _read_page(store, entry.endpoint.id, bucket, first, last)
                pending.append((entry, asyncio.ensure_future(read)))
                if len(pending) >= READ_AHEAD:
                    done_entry, page = pending.popleft()
                    yield done_entry, await page
        while pending:
            done_entry, page = pending.popleft()
            yield done_entry, await page
    finally:  # the client went away: stop reading
        for _, page in pending:
            page.cancel()
