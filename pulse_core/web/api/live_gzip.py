"""``/api/status/live`` gzip-compressed, with only what changed compressed again.

At 20,000 endpoints the live list is over 20 MB of JSON, most of it sparkline points that
repeat the same few bytes: gzip makes it about a thirtieth of that, so a browser away from
the server gets the list in a fraction of the time. Compressing all of it at zlib's fastest
level still takes some 40 ms a request, though, where most items are the very same encoded
bytes as in the request before (the live board reuses them while nothing happened).

So the items are compressed in runs of ``RUN_ITEMS``, each run into raw deflate blocks that
end in a full flush: such a fragment neither refers back to what came before it nor leaves
bits for what follows, so fragments made at different times join into one valid deflate
stream. A run is compressed again only when one of its items changed since it was compressed
(the board hands out the very same bytes objects while nothing happened, which compare at
once). The gzip trailer's CRC-32 is joined from the runs' own (``crc32``), so
a request reads again only the runs that changed, not the megabytes of the whole list. Runs
are kept by their first item and the comma before it, in a cache bounded in compressed
bytes, so a filtered request does not evict the full list's.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import AsyncIterator

from quart import Request, current_app

from pulse_core.web.api import crc32
from pulse_core.web.api.live import CHUNK_BYTES, LiveBody

#: about 70 KB of JSON a run: large enough to compress nearly as well as the whole list,
#: small enough that a few changed items cost a few runs
RUN_ITEMS = 64
#: zlib's fastest level: for JSON this repetitive it already removes some 97 % of the bytes
LEVEL = 1
#: the compressed runs kept; the whole list of 20,000 endpoints takes about 1 MB
CACHE_BYTES = 8 * 1024 * 1024

_EXTENSION_KEY = "pulse.live_gzip"
_HEADER = bytes((0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF))  # gzip, deflate, no name, no time
_FINAL_EMPTY_BLOCK = b"\x03\x00"  # a last, empty block of fixed codes: the stream's end


def accepts_gzip(request: Request) -> bool:
    """Whether the client's ``Accept-Encoding`` allows gzip (``gzip;q=0`` refuses it)."""
    return request.accept_encodings.quality("gzip") > 0


def _deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


_OPEN, _CLOSE = _deflated(LiveBody.OPEN), _deflated(LiveBody.CLOSE)
_CLOSE_SHIFT = crc32.shift_for(len(LiveBody.CLOSE))


@dataclass(slots=True)
class _Run:
    #: the encoded items it was compressed from, the objects themselves
    items: list[bytes]
    #: whether the run starts with the comma after an item before it
    after_comma: bool
    deflated: bytes = b""
    crc: int = 0
    #: ``crc32.shift_for`` its length, to join its CRC to those before it
    shift: int = 0

    def compress(self) -> None:
        joined = LiveBody.SEPARATOR.join(self.items)
        if self.after_comma:
            joined = LiveBody.SEPARATOR + joined
        self.crc, self.shift = zlib.crc32(joined), crc32.shift_for(len(joined))
        self.deflated = _deflated(joined)


class GzipRuns:
    """The compressed runs of one web application's live lists, kept between requests."""

    def __init__(self) -> None:
        self._runs: OrderedDict[tuple[int, bool], _Run] = OrderedDict()

    async def gzip(self, body: LiveBody) -> list[bytes]:
        """``body`` as a gzip member, in pieces: the header, a fragment per run, the trailer."""
        runs = [self._run(body.items[start : start + RUN_ITEMS], start > 0)
                for start in range(0, len(body.items), RUN_ITEMS)]
        stale = [run for run in runs if not run.deflated]
        if stale:
            await asyncio.to_thread(_compress, stale)
        self._evict()
        crc = zlib.crc32(LiveBody.OPEN)
        for run in runs:
            crc = crc32.combine(crc, run.crc, run.shift)
        crc = crc32.combine(crc, zlib.crc32(LiveBody.CLOSE), _CLOSE_SHIFT)
        trailer = struct.pack("<II", crc, len(body) & 0xFFFFFFFF)
        return [_HEADER, _OPEN, *(run.deflated for run in runs), _CLOSE, _FINAL_EMPTY_BLOCK, trailer]

    def _run(self, items: list[bytes], after_comma: bool) -> _Run:
        key = (id(items[0]), after_comma)
        run = self._runs.get(key)
        # item by item, the same objects compare at once; equal bytes compress alike anyway
        if run is not None and run.items == items:
            self._runs.move_to_end(key)
            return run
        run = self._runs[key] = _Run(items, after_comma)
        self._runs.move_to_end(key)
        return run

    def _evict(self) -> None:
        """Forget the runs used longest ago, past ``CACHE_BYTES``."""
        kept = sum(len(run.deflated) for run in self._runs.values())
        while kept > CACHE_BYTES and len(self._runs) > 1:
            _, oldest = self._runs.popitem(last=False)
            kept -= len(oldest.deflated)


def _compress(stale: list[_Run]) -> None:
    """In a worker thread: zlib lets go of the interpreter lock while it compresses, so the
    event loop goes on meanwhile."""
    for run in stale:
        run.compress()


async def in_chunks(pieces: list[bytes], chunk_bytes: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
    """The pieces joined into chunks of about ``chunk_bytes``: each chunk goes through the
    server's send path (the framework, the HTTP stream, the transport) on its own, some tens
    of µs, where the copy of a joined fragment costs next to nothing."""
    chunk: list[bytes] = []
    size = 0
    for piece in pieces:
        chunk.append(piece)
        size += len(piece)
        if size >= chunk_bytes:
            yield b"".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield b"".join(chunk)


def gzip_runs() -> GzipRuns:
    runs: GzipRuns | None = current_app.extensions.get(_EXTENSION_KEY)
    if runs is None:
        runs = current_app.extensions[_EXTENSION_KEY] = GzipRuns()
    return runs
