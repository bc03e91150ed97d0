"""Timestamps as integer milliseconds in the database.

The core speaks POSIX seconds as floats; the tables keep whole milliseconds in a BIGINT: a
smaller row than a float or a SQL timestamp, exact comparisons and bucket arithmetic in plain
integer SQL on every dialect, and a round trip that returns what was written to the ms.
"""

from __future__ import annotations


def to_ms(ts: float) -> int:
    return round(ts * 1000)


def from_ms(ms: int) -> float:
    return ms / 1000


def optional_to_ms(ts: float | None) -> int | None:
    return None if ts is None else to_ms(ts)


def optional_from_ms(ms: int | None) -> float | None:
    return None if ms is None else from_ms(ms)
