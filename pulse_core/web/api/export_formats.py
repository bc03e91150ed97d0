"""The rows of a history export, and their CSV and JSON encodings, chunk by chunk.

Every format has the same columns: the endpoint (``endpointId``, ``endpointName``,
``groupId``, ``groupName``), then for ``raw`` one row per check (``ts``, ``status``,
``rttMs``, ``error``), for ``15m`` one row per bucket (``bucketTs``, ``upPct``, ``avgRttMs``,
``downEvents``, ``checks``) and for ``daily`` the same with ``bucketDate`` instead of
``bucketTs``.

An export of 10,000 endpoints has hundreds of thousands of rows, so a row is a tuple in
column order, its endpoint's four values are worked out once per endpoint and a bucket's
time once per bucket (every endpoint has the same buckets): the encoders then spend their
time encoding, not building dictionaries.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pulse_core.models import CheckResult, Rollup
from pulse_core.web.api.catalog import CatalogEntry
from pulse_core.web.api.history_pages import Record
from pulse_core.web.serialize import iso

Row = tuple[Any, ...]

ENDPOINT_COLUMNS = ("endpointId", "endpointName", "groupId", "groupName")
COLUMNS: dict[str, tuple[str, ...]] = {
    "raw": (*ENDPOINT_COLUMNS, "ts", "status", "rttMs", "error"),
    "15m": (*ENDPOINT_COLUMNS, "bucketTs", "upPct", "avgRttMs", "downEvents", "checks"),
    "daily": (*ENDPOINT_COLUMNS, "bucketDate", "upPct", "avgRttMs", "downEvents", "checks"),
}
CHUNK_CHARS = 64 * 1024


@lru_cache(maxsize=4096)
def _bucket_time(bucket_ts: float) -> str | None:
    return iso(bucket_ts)


@lru_cache(maxsize=4096)
def _bucket_date(bucket_ts: float) -> str:
    return datetime.fromtimestamp(bucket_ts, tz=UTC).date().isoformat()


class _RowMaker:
    """Rows of one export. A bucket's percentage is looked up by its counts: rounding costs
    more than the rest of a row, and a few pairs of counts (all up, mostly) cover nearly
    every bucket."""

    def __init__(self, entries: Mapping[str, CatalogEntry], bucket: str) -> None:
        self._entries = entries
        self._prefixes: dict[str, Row] = {}
        self._up_pcts: dict[tuple[int, int], float] = {}
        self.values: Callable[[Record], Row] = {
            "raw": self._check_values,
            "15m": self._rollup_values(_bucket_time),
            "daily": self._rollup_values(_bucket_date),
        }[bucket]

    def prefix(self, endpoint_id: str) -> Row:
        """The endpoint's four columns."""
        prefix = self._prefixes.get(endpoint_id)
        if prefix is None:
            entry = self._entries[endpoint_id]
            endpoint, group = entry.endpoint, entry.group
            prefix = self._prefixes[endpoint_id] = (endpoint.id, endpoint.name, group.id, group.name)
        return prefix

    @staticmethod
    def _check_values(record: Record) -> Row:
        assert isinstance(record, CheckResult)
        return iso(record.ts), record.status.value, record.rtt_ms, record.error

    def _rollup_values(self, bucket_time: Callable[[float], str | None]) -> Callable[[Record], Row]:
        up_pcts = self._up_pcts

        def values(record: Record) -> Row:
            assert isinstance(record, Rollup)
            counts = (record.up, record.total)
            up_pct = up_pcts.get(counts)
            if up_pct is None:
                up_pct = up_pcts[counts] = record.up_pct
            return (
                bucket_time(record.bucket_ts), up_pct, record.avg_rtt_ms,
                record.down_events, record.total,
            )

        return values


async def row_pages(
    pages: AsyncIterator[Sequence[Record]], entries: Mapping[str, CatalogEntry], bucket: str
) -> AsyncIterator[list[Row]]:
    """Each page's records as rows in ``COLUMNS[bucket]`` order; ``entries`` by endpoint id."""
    maker = _RowMaker(entries, bucket)
    prefix, values = maker.prefix, maker.values
    async for page in pages:
        yield [prefix(record.endpoint_id) + values(record) for record in page]


async def csv_chunks(columns: Sequence[str], pages: AsyncIterator[list[Row]]) -> AsyncIterator[bytes]:
    """One header row, then the rows; ``null`` is an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    async for rows in pages:
        writer.writerows(rows)
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def json_chunks(
    header: Mapping[str, Any], columns: Sequence[str], pages: AsyncIterator[list[Row]]
) -> AsyncIterator[bytes]:
    """``{...header, "items": [{column: value, ...}, ...]}``, written as the rows arrive; a
    page of rows is encoded in one call, its brackets dropped."""
    opening = json.dumps({**header, "items": []})[:-2]  # drop the closing ``]}``
    parts, size, separator = [opening], len(opening), ""
    async for rows in pages:
        if not rows:
            continue
        text = json.dumps([dict(zip(columns, row)) for row in rows])[1:-1]
        parts.append(separator + text)
        separator = ","
        size += len(text) + 1
        if size >= CHUNK_CHARS:
            yield "".join(parts).encode()
            parts, size = [], 0
    parts.append("]}")
    yield "".join(parts).encode()
