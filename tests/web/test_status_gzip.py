"""``GET /api/status/live`` gzip-compressed when the client accepts it: the answer read raw
from a real server, and the compressed runs of items (``live_gzip``) decoded, CRC-32 and
length checked, to the very bytes of the plain body, also after items changed."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import httpx

from pulse_core.testing.server import running_pulse
from pulse_core.web.api.crc32 import combine, shift_for
from pulse_core.web.api.live import LiveBody
from pulse_core.web.api.live_gzip import RUN_ITEMS, GzipRuns, in_chunks

#: enough endpoints for several runs of items, the last one short
ENDPOINTS = 3 * RUN_ITEMS + 5


def site() -> str:
    targets = "\n".join(
        f"  - {{type: tcp, host: 127.0.3.{index + 1}, port: 9, group: plant}}"
        for index in range(ENDPOINTS)
    )
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups: [{{id: plant, name: Plant}}]
targets:
{targets}
"""


async def raw(client: httpx.AsyncClient, path: str, accept: str) -> tuple[httpx.Response, bytes]:
    """The answer and its body as they came over the wire, not decoded."""
    async with client.stream("GET", path, headers={"Accept-Encoding": accept}) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.status_code == 200
    return response, body


async def test_gzip_when_accepted_plain_otherwise(tmp_path: Path) -> None:
    async with running_pulse(site(), tmp_path) as server:
        async with server.client() as client:
            zipped, compressed = await raw(client, "/api/status/live", "gzip, deflate, br")
            plain, body = await raw(client, "/api/status/live", "identity")
            refused, body_too = await raw(client, "/api/status/live", "gzip;q=0, identity")
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) == len(compressed) < len(body) / 5
    decoded = json.loads(gzip.decompress(compressed))
    assert len(decoded["items"]) == ENDPOINTS
    for response, sent in ((plain, body), (refused, body_too)):
        assert "content-encoding" not in response.headers
        assert int(response.headers["content-length"]) == len(sent)
        assert len(json.loads(sent)["items"]) == ENDPOINTS
    for response in (zipped, plain, refused):
        assert "Accept-Encoding" in response.headers["vary"]


def item(number: int, rtt: float = 1.5) -> bytes:
    return json.dumps({"endpoint": {"id": f"e{number}"}, "rttMs": rtt}).encode()


async def gzip_of(runs: GzipRuns, items: list[bytes]) -> bytes:
    body = LiveBody(items)
    plain = b"".join([chunk async for chunk in body.chunks()])
    compressed = b"".join(await runs.gzip(body))
    assert gzip.decompress(compressed) == plain
    return compressed


async def test_compressed_runs_decode_to_the_body_after_items_change() -> None:
    runs = GzipRuns()
    items = [item(number) for number in range(ENDPOINTS)]
    first = await gzip_of(runs, items)
    assert await gzip_of(runs, list(items)) == first
    pieces = await runs.gzip(LiveBody(items))
    chunks = [chunk async for chunk in in_chunks(pieces, chunk_bytes=100)]
    assert len(chunks) > 1 and b"".join(chunks) == first  # sent as a few joined chunks
    for number in (0, RUN_ITEMS + 3, ENDPOINTS - 1):
        items[number] = item(number, rtt=12.25)
    assert await gzip_of(runs, items) != first
    await gzip_of(runs, items[1::2])  # a filtered list: other runs, other commas
    await gzip_of(runs, items[RUN_ITEMS:])  # starting where a run of the full list starts
    await gzip_of(runs, items[:1])
    assert gzip.decompress(await gzip_of(runs, [])) == b'{"items":[]}'


def test_joined_crcs_are_the_crc_of_the_joined_bytes() -> None:
    pieces = [b"", b"{", b'"items":[' * 300, bytes(range(256)) * 70, b"]}"]
    crc = 0
    for piece in pieces:
        crc = combine(crc, zlib.crc32(piece), shift_for(len(piece)))
    assert crc == zlib.crc32(b"".join(pieces))
