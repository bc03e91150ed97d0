"""The export's encoders, against Python's own ``csv`` and ``json`` on the same rows.

The encoders write each row as one f-string of pieces worked out once (quoted names, hour
prefixes, error texts); these tests hold them to what ``csv.writer`` and ``json.dumps``
write, with the values that need quoting or escaping.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from pulse_core.models import Endpoint, Group
from pulse_core.web.api.export_formats import (
    COLUMNS,
    RowEncoder,
    csv_chunks,
    encoded_pages,
    json_chunks,
    two_places,
)
from pulse_core.web.serialize import iso

GROUP = Group("line-1", 'Line "1", east')
ENDPOINTS = [
    Endpoint("a1", "PLC, main", GROUP.id, "tcp", "127.0.0.1", 502),
    Endpoint("b2", 'say "hi"\nnext line', GROUP.id, "icmp", "127.0.0.2"),
    Endpoint("c3", " Ünïcode ☃ ", GROUP.id, "icmp", "127.0.0.3"),
    Endpoint("d4", "", GROUP.id, "icmp", "127.0.0.4"),  # unnamed: "ICMP 127.0.0.4"
]
ENTRIES = {ep.id: (ep.id, ep.name, GROUP.id, GROUP.name) for ep in ENDPOINTS}
HOUR_MS = 3_600_000
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z

CHECK_RUNS = [
    ("a1", [(START_MS, True, 1.5, None), (START_MS + 999, False, None, "refused, twice")]),
    ("b2", [
        (START_MS + HOUR_MS - 1, True, 0.001, None),
        (START_MS + HOUR_MS, False, None, 'a "quoted"\r\nerror'),
    ]),
    ("c3", [(START_MS + 26 * HOUR_MS + 61_001, True, 123456.789, "")]),
    ("d4", [(START_MS + 7, False, 12.0, "☃")]),
]
ROLLUP_RUNS = [
    ("a1", [(START_MS, 10, 9, 45.5, 9, 1), (START_MS + 24 * HOUR_MS, 3, 2, 1.0, 3, 0)]),
    ("b2", [(START_MS, 0, 0, 0.0, 0, 0)]),
    ("d4", [(START_MS + 15 * 60_000, 7, 7, 10.0, 3, 0)]),
]


def expected_rows(bucket: str) -> list[list[Any]]:
    """The rows as values, built the plain way."""
    rows: list[list[Any]] = []
    runs: Sequence[tuple[str, Sequence[tuple[Any, ...]]]] = (
        CHECK_RUNS if bucket == "raw" else ROLLUP_RUNS
    )
    for endpoint_id, records in runs:
        prefix = list(ENTRIES[endpoint_id])
        for record in records:
            if bucket == "raw":
                ts_ms, up, rtt, error = record
                rows.append([*prefix, iso(ts_ms / 1000), "up" if up else "down", rtt, error])
                continue
            bucket_ms, total, up_count, rtt_sum, rtt_count, down = record
            when = (
                datetime.fromtimestamp(bucket_ms / 1000, tz=UTC).date().isoformat()
                if bucket == "daily" else iso(bucket_ms / 1000)
            )
            up_pct = round(up_count * 100.0 / total, 2) if total else 0.0
            avg = round(rtt_sum / rtt_count, 2) if rtt_count else None
            rows.append([*prefix, when, up_pct, avg, down, total])
    return rows


async def pages(*runs: Sequence[Any]) -> AsyncIterator[Sequence[Any]]:
    for page in runs:
        yield page


async def text_of(chunks: AsyncIterator[bytes]) -> str:
    return b"".join([chunk async for chunk in chunks]).decode()


def split_in_two(runs: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """Two pages and an empty one between them, as a store may hand them over."""
    return runs[:2], [], runs[2:]


@pytest.mark.parametrize("bucket", ["raw", "15m", "daily"])
async def test_csv_is_what_csv_writer_writes(bucket: str) -> None:
    runs = CHECK_RUNS if bucket == "raw" else ROLLUP_RUNS
    encoder = RowEncoder("csv", bucket, ENTRIES)
    bodies = encoded_pages(encoder, pages(*split_in_two(runs)))
    text = await text_of(csv_chunks(COLUMNS[bucket], bodies))

    reference = io.StringIO()
    writer = csv.writer(reference, lineterminator="\r\n")
    writer.writerow(COLUMNS[bucket])
    writer.writerows(expected_rows(bucket))
    assert text == reference.getvalue()


@pytest.mark.parametrize("bucket", ["raw", "15m", "daily"])
async def test_json_is_the_header_and_an_item_per_row(bucket: str) -> None:
    runs = CHECK_RUNS if bucket == "raw" else ROLLUP_RUNS
    header = {"bucket": bucket, "columns": COLUMNS[bucket]}
    encoder = RowEncoder("json", bucket, ENTRIES)
    text = await text_of(json_chunks(header, encoded_pages(encoder, pages(*split_in_two(runs)))))

    document = json.loads(text)
    assert document == {
        "bucket": bucket,
        "columns": list(COLUMNS[bucket]),
        "items": [dict(zip(COLUMNS[bucket], row)) for row in expected_rows(bucket)],
    }
    assert text.isascii()  # as json.dumps writes it: escapes, not raw UTF-8


async def test_an_export_without_rows_is_its_header_alone() -> None:
    csv_bodies = encoded_pages(RowEncoder("csv", "raw", ENTRIES), pages())
    csv_text = await text_of(csv_chunks(COLUMNS["raw"], csv_bodies))
    json_bodies = encoded_pages(RowEncoder("json", "raw", ENTRIES), pages([], []))
    json_text = await text_of(json_chunks({"bucket": "raw"}, json_bodies))
    assert csv_text == ",".join(COLUMNS["raw"]) + "\r\n"
    assert json.loads(json_text) == {"bucket": "raw", "items": []}


def test_two_places_is_the_repr_of_round() -> None:
    """Averages and up percentages: ties of every kind, signs, the 15-digit edge, values
    written in exponents, infinities and NaN, then many of the kinds an export meets."""
    edges = [2.675, 0.125, 0.375, 1.005, 0.005, -0.005, -0.001, -0.0, 0.0, 50.0, 66.666666,
             9_999_999_999_999.996, 1e13, -1e13, 1.23e20, 5e-324, math.inf, -math.inf, math.nan]
    draw = random.Random(7)
    values = edges + [draw.randint(0, 10**7) / draw.choice([1, 3, 8, 1000]) for _ in range(20_000)]
    values += [math.ldexp(draw.random(), draw.randint(-40, 50)) for _ in range(20_000)]
    assert [two_places(value) for value in values] == [repr(round(value, 2)) for value in values]
