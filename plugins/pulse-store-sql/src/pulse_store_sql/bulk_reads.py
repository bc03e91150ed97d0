"""Reads of many endpoints at once, a page at a time: ``checks_many`` and ``rollups_many``.

An export of 10,000 endpoints read endpoint by endpoint costs 10,000 round trips; here a
page of endpoints costs one query per table it reads. Pages are planned first, from what
can be known cheaply, so that none holds much more than ``page_rows`` records:

- rollups: an endpoint has at most one bucket per bucket length in the range, so pages are
  planned from the range alone;
- checks: one grouped query per ``KEYS_PER_QUERY`` endpoints counts each endpoint's checks in
  the range (recent rows through their index, packed ones from the blocks' ``count``).

An endpoint with more than ``page_rows`` records in the range gets pages of its own, each a
slice of the range. The rows of a page are read in key order and handed back in the order the
caller gave the endpoints, so an export can follow its own (display) order.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby, repeat
from operator import itemgetter

from sqlalchemy import Connection, func, select

from pulse_core.contract import CheckResult, Resolution, Rollup

from pulse_store_sql import checks, error_texts, rollups
from pulse_store_sql.block_codec import HAS_ERROR, HAS_RTT, UP, Columns, decode_columns
from pulse_store_sql.blocks import BLOCK_MS, StoredCheck
from pulse_store_sql.driver_rows import fetch_all
from pulse_store_sql.micros import from_us, from_us_all
from pulse_store_sql.millis import from_ms
from pulse_store_sql.tables import check_blocks, endpoints
from pulse_store_sql.tables import checks as recent_checks

#: Endpoints per ``IN (...)`` list: far below every dialect's limit on bound parameters.
KEYS_PER_QUERY = 500

#: The rows ``History.check_rows_many`` and ``rollup_rows_many`` hand over: plain tuples,
#: times in ms, a run being one endpoint's rows.
CheckRow = tuple[int, bool, float | None, str | None]
CheckRun = tuple[str, list[CheckRow]]
RollupRun = tuple[str, tuple[tuple[int, int, int, float, int, int], ...]]

_BUCKET_MS = {Resolution.QUARTER_HOUR: 15 * 60 * 1000, Resolution.DAILY: 24 * 60 * 60 * 1000}


@dataclass(frozen=True, slots=True)
class Span:
    """One endpoint over ``[start_ms, end_ms)``."""

    endpoint_id: str
    key: int
    start_ms: int
    end_ms: int


Page = list[Span]


def known_endpoints(connection: Connection, endpoint_ids: Sequence[str]) -> list[tuple[str, int]]:
    """``(id, key)`` of the stored endpoints among ``endpoint_ids``, in their order."""
    keys: dict[str, int] = {}
    for first in range(0, len(endpoint_ids), KEYS_PER_QUERY):
        wanted = endpoint_ids[first : first + KEYS_PER_QUERY]
        rows = connection.execute(
            select(endpoints.c.id, endpoints.c.key).where(endpoints.c.id.in_(wanted))
        )
        keys.update({endpoint_id: key for endpoint_id, key in rows})
    return [(endpoint_id, keys[endpoint_id]) for endpoint_id in endpoint_ids if endpoint_id in keys]


def check_counts(
    connection: Connection, known: Sequence[tuple[str, int]], start_ms: int, end_ms: int
) -> list[int]:
    """How many checks each endpoint has in the range, in the order of ``known``; a packed
    block that straddles an end of the range counts whole (a page may come out smaller)."""
    counts: dict[int, int] = defaultdict(int)
    all_keys = [key for _, key in known]
    for first in range(0, len(all_keys), KEYS_PER_QUERY):
        keys = all_keys[first : first + KEYS_PER_QUERY]
        recent = connection.execute(
            select(recent_checks.c.endpoint_key, func.count())
            .where(
                recent_checks.c.endpoint_key.in_(keys),
                recent_checks.c.ts_ms >= start_ms,
                recent_checks.c.ts_ms < end_ms,
            )
            .group_by(recent_checks.c.endpoint_key)
        )
        packed = connection.execute(
            select(check_blocks.c.endpoint_key, func.sum(check_blocks.c.count))
            .where(
                check_blocks.c.endpoint_key.in_(keys),
                check_blocks.c.start_ms > start_ms - BLOCK_MS,
                check_blocks.c.start_ms < end_ms,
            )
            .group_by(check_blocks.c.endpoint_key)
        )
        for key, count in [*recent, *packed]:
            counts[key] += count
    return [counts[key] for key in all_keys]


def check_pages(
    connection: Connection,
    endpoint_ids: Sequence[str],
    start_ms: int,
    end_ms: int,
    page_rows: int,
) -> list[Page]:
    """The pages of checks of ``endpoint_ids`` in the range, planned from their counts."""
    known = known_endpoints(connection, endpoint_ids)
    counts = check_counts(connection, known, start_ms, end_ms)
    return list(plan_pages(known, counts, start_ms, end_ms, page_rows))


def plan_pages(
    known: Sequence[tuple[str, int]],
    rows: Sequence[int],
    start_ms: int,
    end_ms: int,
    page_rows: int,
    slice_ms: int | None = None,
) -> Iterator[Page]:
    """Pages of consecutive endpoints holding at most ``page_rows`` rows together (``rows``:
    each endpoint's count, an estimate or a bound); an endpoint with more gets pages of its
    own, slices of the range ``slice_ms`` long (by default as many equal slices as it
    takes). Endpoints without rows are left out."""
    page: Page = []
    page_size = 0
    for (endpoint_id, key), count in zip(known, rows):
        if count == 0:
            continue
        if page and page_size + count > page_rows:
            yield page
            page, page_size = [], 0
        if count <= page_rows:
            page.append(Span(endpoint_id, key, start_ms, end_ms))
            page_size += count
            continue
        step = slice_ms or math.ceil((end_ms - start_ms) / math.ceil(count / page_rows))
        for first in range(start_ms, end_ms, step):
            yield [Span(endpoint_id, key, first, min(first + step, end_ms))]
    if page:
        yield page


def rollup_pages(
    known: Sequence[tuple[str, int]],
    resolution: Resolution,
    start_ms: int,
    end_ms: int,
    page_rows: int,
) -> Iterator[Page]:
    """Pages of endpoints for ``read_rollup_rows``: a range holds at most one bucket start per
    bucket length, and a slice ``page_rows`` buckets long at most ``page_rows``."""
    bucket_ms = _BUCKET_MS[resolution]
    most = math.ceil((end_ms - start_ms) / bucket_ms)
    return plan_pages(
        known, [most] * len(known), start_ms, end_ms, page_rows, slice_ms=page_rows * bucket_ms
    )


def _page_keys(page: Page) -> tuple[list[int], int, int]:
    """The keys of a page and its range (the same for every endpoint of a page of several)."""
    return [span.key for span in page], page[0].start_ms, page[0].end_ms


def read_check_rows(connection: Connection, page: Page, texts: dict[int, str]) -> list[CheckRun]:
    """The checks of a page as runs of ``(ts_ms, up, rtt_ms, error)``: packed blocks and
    recent rows, one query each. ``texts`` holds the error texts read so far, by id (a
    committed id keeps its text: texts are never deleted), and gains those of this page.

    Each block becomes rows as soon as it is decoded, by column (``decode_columns``; a block
    of checks all up with an RTT, most of them, without a loop), so no block's columns
    outlive it: when a page's thousand decoded blocks were kept until the page's error texts
    had been read, the garbage collector promoted them to its oldest generation, and its
    full collections took 2-3.6 s of the 12 s of CPU of a day's export of 10,000 endpoints."""
    keys, start_ms, end_ms = _page_keys(page)
    found: dict[int, list[CheckRow]] = defaultdict(list)
    block_rows = fetch_all(
        connection,
        select(check_blocks.c.endpoint_key, check_blocks.c.start_ms, check_blocks.c.data)
        .where(
            check_blocks.c.endpoint_key.in_(keys),
            check_blocks.c.start_ms > start_ms - BLOCK_MS,
            check_blocks.c.start_ms < end_ms,
        )
        .order_by(check_blocks.c.endpoint_key, check_blocks.c.start_ms),
    )
    for key, block_start_ms, data in block_rows:
        rows = _block_rows(connection, decode_columns(data, block_start_ms), texts)
        if block_start_ms < start_ms or block_start_ms + BLOCK_MS > end_ms:
            rows = [row for row in rows if start_ms <= row[0] < end_ms]
        found[key] += rows
    recent = connection.execute(
        select(
            recent_checks.c.endpoint_key,
            recent_checks.c.ts_ms,
            recent_checks.c.up,
            recent_checks.c.rtt_ms,
            recent_checks.c.error,
        ).where(
            recent_checks.c.endpoint_key.in_(keys),
            recent_checks.c.ts_ms >= start_ms,
            recent_checks.c.ts_ms < end_ms,
        )
    ).all()
    for key, ts_ms, up, rtt_ms, error in recent:
        found[key].append((ts_ms, up, rtt_ms, error))
    for key in {key for key, *_ in recent}:  # beside its blocks, in no particular order
        found[key].sort(key=itemgetter(0))
    return [(span.endpoint_id, found[span.key]) for span in page if found.get(span.key)]


def _block_rows(connection: Connection, columns: Columns, texts: dict[int, str]) -> list[CheckRow]:
    timestamps, flags, rtts_us, error_ids = columns
    if flags.count(UP | HAS_RTT) == len(flags):
        return list(zip(timestamps, repeat(True), from_us_all(rtts_us), repeat(None)))
    unknown = set(error_ids).difference(texts)
    if unknown:
        texts.update(error_texts.texts_of(connection, unknown))
    rtts = iter(rtts_us)
    errors = iter(error_ids)
    return [
        (
            ts_ms,
            bool(flag & UP),
            from_us(next(rtts)) if flag & HAS_RTT else None,
            texts[next(errors)] if flag & HAS_ERROR else None,
        )
        for ts_ms, flag in zip(timestamps, flags)
    ]


def check_results(runs: Sequence[CheckRun]) -> list[CheckResult]:
    """Runs of checks as results."""
    return [
        checks.as_result(endpoint_id, StoredCheck(*row))
        for endpoint_id, rows in runs
        for row in rows
    ]


def read_rollup_rows(connection: Connection, page: Page, resolution: Resolution) -> list[RollupRun]:
    """The buckets of a page as runs of ``(bucket_ms, total, up, rtt_sum_ms, rtt_count,
    down_events)``, in one query fetched by the driver (``driver_rows``).

    A run's rows are a tuple, not a list: a tuple of tuples of numbers is one the garbage
    collector stops tracking at its first pass, where a list stays tracked until it is
    freed. The lists of the pages in flight reached the collector's oldest generation, which
    holds little else (the configuration is frozen out of it), so it made three to five full
    collections of a daily export of 10,000 endpoints (docs/performance.md)."""
    keys, start_ms, end_ms = _page_keys(page)
    table = rollups.table_of(resolution)
    rows = fetch_all(
        connection,
        rollups.bucket_columns(table)
        .where(
            table.c.endpoint_key.in_(keys),
            table.c.bucket_ms >= start_ms,
            table.c.bucket_ms < end_ms,
        )
        .order_by(table.c.endpoint_key, table.c.bucket_ms),
    )
    by_key = {
        key: tuple([row[1:] for row in group]) for key, group in groupby(rows, itemgetter(0))
    }
    return [(span.endpoint_id, by_key[span.key]) for span in page if span.key in by_key]


def rollups_of(runs: Sequence[RollupRun], resolution: Resolution) -> list[Rollup]:
    """Runs of buckets as rollups."""
    return [
        Rollup(endpoint_id, from_ms(bucket_ms), resolution, total, up, rtt_sum_ms, rtt_count, down)
        for endpoint_id, rows in runs
        for bucket_ms, total, up, rtt_sum_ms, rtt_count, down in rows
    ]
