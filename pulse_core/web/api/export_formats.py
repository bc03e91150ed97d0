"""The rows of a history export, and their CSV and JSON encodings, chunk by chunk.

Every format has the same columns: the endpoint (``endpointId``, ``endpointName``,
``groupId``, ``groupName``), then for ``raw`` one row per check (``ts``, ``status``,
``rttMs``, ``error``), for ``15m`` one row per bucket (``bucketTs``, ``upPct``, ``avgRttMs``,
``downEvents``, ``checks``) and for ``daily`` the same with ``bucketDate`` instead of
``bucketTs``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, AsyncIterator, Callable, Mapping, Sequence

from pulse_core.models import CheckResult, Rollup
from pulse_core.web.api.catalog import CatalogEntry
from pulse_core.web.api.history_pages import Record
from pulse_core.web.serialize import check_json, rollup_15m_json, rollup_daily_json

Row = dict[str, Any]

ENDPOINT_COLUMNS = ("endpointId", "endpointName", "groupId", "groupName")
COLUMNS: dict[str, tuple[str, ...]] = {
    "raw": (*ENDPOINT_COLUMNS, "ts", "status", "rttMs", "error"),
    "15m": (*ENDPOINT_COLUMNS, "bucketTs", "upPct", "avgRttMs", "downEvents", "checks"),
    "daily": (*ENDPOINT_COLUMNS, "bucketDate", "upPct", "avgRttMs", "downEvents", "checks"),
}
CHUNK_CHARS = 64 * 1024


def _check_row(record: Record) -> Row:
    assert isinstance(record, CheckResult)
    return check_json(record)


def _rollup_row(encode: Callable[[Rollup], Row]) -> Callable[[Record], Row]:
    def row(record: Record) -> Row:
        assert isinstance(record, Rollup)
        return {**encode(record), "checks": record.total}

    return row


_RECORD_ROW: dict[str, Callable[[Record], Row]] = {
    "raw": _check_row,
    "15m": _rollup_row(rollup_15m_json),
    "daily": _rollup_row(rollup_daily_json),
}


async def row_pages(
    pages: AsyncIterator[tuple[CatalogEntry, Sequence[Record]]], bucket: str
) -> AsyncIterator[list[Row]]:
    record_row = _RECORD_ROW[bucket]
    async for entry, records in pages:
        endpoint, group = entry.endpoint, entry.group
        prefix = {
            "endpointId": endpoint.id, "endpointName": endpoint.name,
            "groupId": group.id, "groupName": group.name,
        }
        yield [{**prefix, **record_row(record)} for record in records]


async def csv_chunks(columns: Sequence[str], pages: AsyncIterator[list[Row]]) -> AsyncIterator[bytes]:
    """One header row, then the rows; ``null`` is an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    async for rows in pages:
        writer.writerows([row[column] for column in columns] for row in rows)
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def json_chunks(header: Mapping[str, Any], pages: AsyncIterator[list[Row]]) -> AsyncIterator[bytes]:
    """``{...header, "items": [row, ...]}``, written as the rows arrive."""
    opening = json.dumps({**header, "items": []})[:-2]  # drop the closing ``]}``
    parts, size, separator = [opening], len(opening), ""
    async for rows in pages:
        for row in rows:
            text = json.dumps(row)
            parts.append(separator + text)
            separator = ","
            size += len(text) + 1
        if size >= CHUNK_CHARS:
            yield "".join(parts).encode()
            parts, size = [], 0
    parts.append("]}")
    yield "".join(parts).encode()
