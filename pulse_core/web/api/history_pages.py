"""Reading many endpoints' history in bounded pages, for exports of any size.

The store's bulk reads (``History.check_rows_many`` / ``rollup_rows_many``) hand back pages
of about ``PAGE_ROWS`` records of many endpoints each, as plain tuples, read with a few
queries per page instead of one per endpoint, so memory depends on neither the requested
range nor the number of endpoints. The next page is asked for before the current one is
handed out, so the store's reader thread works while the previous page is being encoded and
sent. Callers clip the range to where data can exist, so an export of "everything since
2000" does not query decades of empty slices.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import TypeVar, Union

from pulse_core.models import Resolution
from pulse_core.store import CheckRun, History, PageSource, RollupRun
from pulse_core.web.api.query import Bucket

Runs = Union[list[CheckRun], list[RollupRun]]
T = TypeVar("T")

RESOLUTIONS = {"15m": Resolution.QUARTER_HOUR, "daily": Resolution.DAILY}


async def read_ahead(pages: AsyncIterator[T]) -> AsyncIterator[T]:
    """``pages``, with the next one always being read while the caller works on this one."""
    upcoming: asyncio.Future[T] = asyncio.ensure_future(anext(pages))
    try:
        while True:
            try:
                page = await upcoming
            except StopAsyncIteration:
                return
            upcoming = asyncio.ensure_future(anext(pages))
            yield page
    finally:  # the client went away: stop reading
        upcoming.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await upcoming


def history_pages(
    store: History, endpoint_ids: Sequence[str], bucket: Bucket, start: float, end: float
) -> AsyncIterator[Runs]:
    """The records of ``endpoint_ids`` in ``[start, end)``, endpoint by endpoint in that
    order, each oldest first, in pages of runs (an endpoint and its rows)."""
    pages: AsyncIterator[Runs]
    if bucket == "raw":
        pages = store.check_rows_many(endpoint_ids, start, end)
    else:
        pages = store.rollup_rows_many(endpoint_ids, RESOLUTIONS[bucket], start, end)
    return read_ahead(pages)


def page_source(
    store: History, endpoint_ids: Sequence[str], bucket: Bucket, start: float, end: float
) -> PageSource | None:
    """What :func:`history_pages` would read, as a :class:`PageSource` for export workers,
    when the store offers one (the SQL store does): None keeps the reads in this process."""
    return store.bulk_read_source(endpoint_ids, RESOLUTIONS.get(bucket), start, end)
