"""Work over many rows in chunks of a bounded size.

Whatever runs once per endpoint (the catalogue, a wave of snapshots or outages) is written a
chunk at a time, so the rows and parameters alive at once stay the same however many
endpoints there are: CPython's allocator keeps the pages of a peak for the life of the
process, so a peak of 20,000 rows would stay in the resident memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

#: Rows per chunk: a few hundred kB of rows and parameters, a few ms of database work.
CHUNK_ROWS = 1000

T = TypeVar("T")


def chunks(items: Iterable[T], size: int = CHUNK_ROWS) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
