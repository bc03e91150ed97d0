"""Exports read and encoded in worker processes: the same bytes as in the Pulse process,
pages dealt out to several processes and read back in order, and a clear end when a
worker dies or the store fails, with Pulse going on."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from pulse_core.models import CheckResult, CheckStatus, Resolution
from pulse_core.testing.postgresql import postgresql_schema
from pulse_core.testing.server import running_pulse
from pulse_core.testing.store_conformance import ALPHA, BETA, DAY_START, add_catalog
from pulse_core.web.api import export as export_module
from pulse_core.web.api import export_workers as workers_module
from pulse_core.web.api.export_formats import (
    COLUMNS,
    EndpointColumns,
    RowEncoder,
    csv_chunks,
    encoded_pages,
    json_chunks,
)
from pulse_core.web.api.export_workers import ExportFailed, ExportWorkers, export_workers
from pulse_store_sql import SqlStore

ENDPOINTS: dict[str, EndpointColumns] = {
    ALPHA.id: (ALPHA.id, "PLC, main", "line-1", 'Line "1"'),
    BETA.id: (BETA.id, "Historian", "line-1", 'Line "1"'),
}
HOUR_S = 3600
#: the SQL store's page source, which the forking process imports
READER = "pulse_store_sql.process_reads"


def checks(endpoint_id: str, count: int, every_s: float = 60) -> list[CheckResult]:
    """Up checks with RTTs, a down one with one of two errors every 25th."""
    return [
        CheckResult(endpoint_id, DAY_START + n * every_s, CheckStatus.DOWN, None,
                    ("timed out", 'refused, "twice"')[n % 2])
        if n % 25 == 24
        else CheckResult(endpoint_id, DAY_START + n * every_s, CheckStatus.UP, 1 + n % 7 * 0.25)
        for n in range(count)
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Both databases of the SQL store: a worker's read-only connection is made from the
    URL (PostgreSQL's keeps the schema the URL puts on the search path)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pulse.db'}"
        return
    with postgresql_schema() as url:
        yield url


@pytest_asyncio.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    store = SqlStore(database_url)
    await store.open()
    await add_catalog(store)
    await store.write_checks(checks(ALPHA.id, 180) + checks(BETA.id, 180))
    await store.update_rollups()  # packs the hours into blocks, and rolls them up
    await store.write_checks(checks(ALPHA.id, 3, every_s=0.5))  # late rows beside the blocks
    await store.update_rollups()
    yield store
    await store.close()


async def text_of(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


@pytest.mark.parametrize("shares", [1, 3])
@pytest.mark.parametrize("kind", ["csv", "json"])
@pytest.mark.parametrize("bucket", ["raw", "15m", "daily"])
async def test_workers_write_the_bytes_the_pulse_process_writes(
    store: SqlStore, bucket: str, kind: str, shares: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers_module, "shares", lambda: shares)
    ids = [BETA.id, ALPHA.id, "not-stored"]
    start, end = DAY_START - 86_400, DAY_START + 86_400
    resolution = {"raw": None, "15m": Resolution.QUARTER_HOUR, "daily": Resolution.DAILY}[bucket]
    endpoints = {**ENDPOINTS, "not-stored": ("not-stored", None, "line-1", None)}
    if resolution is None:
        pages = store.check_rows_many(ids, start, end, page_rows=40)
    else:
        pages = store.rollup_rows_many(ids, resolution, start, end, page_rows=1)
    here = encoded_pages(RowEncoder(kind, bucket, endpoints), pages)
    source = store.bulk_read_source(ids, resolution, start, end, page_rows=40 if resolution is None else 1)
    assert source is not None
    elsewhere = export_workers.bodies(source, kind, bucket, endpoints)

    def document(bodies: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        if kind == "csv":
            return csv_chunks(COLUMNS[bucket], bodies)
        return json_chunks({"bucket": bucket}, bodies)

    expected = await text_of(document(here))
    assert expected.count(b"PLC, main") > (100 if bucket == "raw" else 0)
    assert await text_of(document(elsewhere)) == expected


async def test_a_failing_store_ends_the_export_with_its_reason(
    store: SqlStore, tmp_path: Path
) -> None:
    source = store.bulk_read_source([ALPHA.id], None, DAY_START, DAY_START + HOUR_S)
    assert source is not None
    source.url = source.url.set(database=str(tmp_path / "gone" / "pulse.db"))
    reason = "unable to open database file|database .* does not exist"  # SQLite, PostgreSQL
    with pytest.raises(ExportFailed, match=f"the export stopped: .*({reason})"):
        await text_of(export_workers.bodies(source, "csv", "raw", ENDPOINTS))


def descendants(pid: int) -> list[int]:
    """The processes below ``pid``, as far as they are still running."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:  # it ended meanwhile
        return []
    return [
        descendant for child in map(int, children) for descendant in (child, *descendants(child))
    ]


CONFIG = """
version: 1
defaults: {interval_seconds: 3600}
storage: {url: "sqlite:///%s", retention_days: 36500}
groups:
  - {id: plant, name: Plant}
targets:
  - {type: tcp, host: 127.0.0.1, port: 9, group: plant, name: PLC}
  - {type: tcp, host: 127.0.0.2, port: 9, group: plant, name: Historian}
"""


async def test_a_worker_that_dies_cuts_the_answer_short_and_pulse_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first export is read in the Pulse process while the forking process starts; the
    next ones go to workers. Enough rows that the workers wait on full buffers (an answer
    of several MB, this process reading a kB at a time), so they are still at work when
    they are killed."""
    workers = ExportWorkers()
    monkeypatch.setattr(export_module, "export_workers", workers)
    monkeypatch.setattr(workers_module, "READ_LIMIT", 1024)
    day = datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()
    async with running_pulse(CONFIG % (tmp_path / "pulse.db"), tmp_path) as server:
        await server.pulse.store.write_checks([
            CheckResult(endpoint_id, day + n, CheckStatus.UP, 1.25)
            for endpoint_id in server.pulse.monitor.states for n in range(20_000)
        ])
        path = (
            "/api/export/history?bucket=raw"
            "&startTime=2024-01-01T00:00:00Z&endTime=2024-01-02T00:00:00Z"
        )
        async with server.client(timeout=30) as client:
            assert not workers.available(READER)
            whole = await client.get(path)  # in the Pulse process
            assert whole.status_code == 200 and whole.text.count("\r\n") == 40_001
            while not workers.available(READER):
                await asyncio.sleep(0.05)
            with pytest.raises(httpx.RemoteProtocolError):
                async with client.stream("GET", path) as reply:
                    async for _ in reply.aiter_bytes():
                        assert workers._process is not None
                        for pid in descendants(workers._process.pid):
                            with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                                os.kill(pid, signal.SIGKILL)
            assert (await client.get("/api/health")).status_code == 200
            again = await client.get(path)  # in workers
    workers._stop()
    assert again.content == whole.content


async def test_the_forking_process_stops_when_idle_and_starts_again(store: SqlStore) -> None:
    workers = ExportWorkers(idle_s=0.1)
    source = store.bulk_read_source([ALPHA.id], None, DAY_START, DAY_START + HOUR_S)
    assert source is not None
    first = await text_of(workers.bodies(source, "csv", "raw", ENDPOINTS))
    process = workers._process
    assert process is not None
    await asyncio.sleep(0.3)
    assert workers._process is None and process.returncode == 0
    assert await text_of(workers.bodies(source, "csv", "raw", ENDPOINTS)) == first
    workers._stop()


async def test_the_forking_process_is_started_again_when_it_has_ended(store: SqlStore) -> None:
    workers = ExportWorkers()
    source = store.bulk_read_source([ALPHA.id], None, DAY_START, DAY_START + HOUR_S)
    assert source is not None
    try:
        first = await text_of(workers.bodies(source, "csv", "raw", ENDPOINTS))
        assert workers._process is not None
        workers._process.kill()
        workers._process.wait()
        assert await text_of(workers.bodies(source, "csv", "raw", ENDPOINTS)) == first
    finally:
        workers._stop()


async def test_a_forking_process_stopped_while_it_starts_ends_quietly() -> None:
    """Pulse stopping (or an idle stop) before its imports are done: no traceback, exit 0."""
    workers = ExportWorkers()
    assert not workers.available(READER)
    process = workers._process
    assert process is not None
    workers._stop()
    assert process.returncode == 0
