"""The single store writer: batches, retries without loss or repeats, changes after storage."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import AsyncIterator, Sequence

import pytest
import pytest_asyncio
from pulse_store_sql import SqlStore

from pulse_core.engine.writer import StoreWriter
from pulse_core.models import (
    CheckResult,
    CheckStatus,
    Endpoint,
    EndpointSnapshot,
    Group,
    Outage,
    State,
    StatusChange,
)

ENDPOINT = Endpoint(id="ep1", name="plc", group_id="g", type="tcp", host="127.0.0.1", port=1)


class FlakyStore(SqlStore):
    """The real SQLite store, whose writes fail while ``broken`` is set (a locked or
    unreachable database, as far as the writer can tell)."""

    broken = False
    #: what a failed write raises
    error = "database is locked"

    async def write_checks(self, checks: Sequence[CheckResult]) -> None:
        if self.broken:
            raise OSError(self.error)
        await super().write_checks(checks)

    async def write_outages(self, outages: Sequence[Outage]) -> None:
        if self.broken:
            raise OSError(self.error)
        await super().write_outages(outages)

    async def write_snapshots(self, snapshots: Sequence[EndpointSnapshot]) -> None:
        if self.broken:
            raise OSError(self.error)
        await super().write_snapshots(snapshots)


async def opened(store: SqlStore) -> None:
    await store.open()
    await store.sync_catalog([Group("g", "G")], [ENDPOINT])


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[FlakyStore]:
    store = FlakyStore(f"sqlite:///{tmp_path / 'pulse.db'}")
    await opened(store)
    yield store
    await store.close()


def check(ts: float, status: CheckStatus = CheckStatus.UP) -> CheckResult:
    return CheckResult("ep1", ts, status, 1.0 if status is CheckStatus.UP else None, None)


async def test_failed_writes_are_retried_without_loss_or_repeats(store: FlakyStore) -> None:
    announced: list[StatusChange] = []

    def on_stored(checks: Sequence[CheckResult], changes: Sequence[StatusChange]) -> None:
        announced.extend(changes)

    writer = StoreWriter(store, on_stored, batch_size=10)
    for ts in range(25):
        writer.add_checks([check(1000.0 + ts)])
    outage = Outage("ep1", 1020.0, None, "refused")
    change = StatusChange("ep1", 1021.0, State.DOWN, State.UP, None, "refused", outage)
    writer.add_change(change, EndpointSnapshot("ep1", State.DOWN, 1020.0, 1021.0, outage))

    store.broken = True
    assert await writer.flush() is False
    assert announced == []  # not stored, not announced
    assert writer.pending == 25

    store.broken = False
    assert await writer.flush() is True
    stored = await store.checks("ep1", 0, 2000)
    assert [c.ts for c in stored] == [1000.0 + ts for ts in range(25)]
    assert await store.outages("ep1", 0, 2000) == [outage]
    assert announced == [change]


async def test_a_failed_write_is_logged_in_one_line_without_the_statement(
    store: FlakyStore, caplog: pytest.LogCaptureFixture
) -> None:
    """A database driver's error carries the statement and its parameters (SQLAlchemy's
    text); the log says why in one line, as the health endpoint does."""
    writer = StoreWriter(store, lambda checks, changes: None)
    writer.add_checks([check(1000.0)])
    store.broken = True
    store.error = (
        "(sqlite3.OperationalError) database is locked\n"
        "[SQL: INSERT INTO checks (endpoint_key, ts_ms, up, rtt_ms, error) VALUES (?, ?, ?, ?, ?)]\n"
        "[parameters: [(1, 1000000, True, 1.0, None)]]"
    )
    assert await writer.flush() is False
    (message,) = [r.getMessage() for r in caplog.records if "will retry" in r.getMessage()]
    assert message == (
        "writing to the store failed, will retry: (sqlite3.OperationalError) database is locked"
    )
    assert writer.health.last_error == "(sqlite3.OperationalError) database is locked"


class GatedStore(FlakyStore):
    """The real SQLite store, whose check writes wait at a gate the test opens: a batch held
    in flight, as a slow disk holds it when Pulse is told to stop."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.writing = asyncio.Event()
        self.gate = asyncio.Event()

    async def write_checks(self, checks: Sequence[CheckResult]) -> None:
        self.writing.set()
        await self.gate.wait()
        await super().write_checks(checks)


async def test_closing_finishes_the_batch_in_flight_and_counts_every_check(
    tmp_path: Path,
) -> None:
    store = GatedStore(f"sqlite:///{tmp_path / 'pulse.db'}")
    await opened(store)
    announced: list[StatusChange] = []

    def on_stored(checks: Sequence[CheckResult], changes: Sequence[StatusChange]) -> None:
        announced.extend(changes)

    writer = StoreWriter(store, on_stored, batch_size=10, flush_interval_s=60)
    task = asyncio.create_task(writer.run())
    for ts in range(25):
        writer.add_checks([check(1000.0 + ts)])
    outage = Outage("ep1", 1003.0, None, "refused")
    change = StatusChange("ep1", 1004.0, State.DOWN, State.UP, None, "refused", outage)
    writer.add_change(change, EndpointSnapshot("ep1", State.DOWN, 1003.0, 1004.0, outage))
    await store.writing.wait()  # the first batch of ten is on its way to the database
    writer.close()
    store.gate.set()
    await task
    stored = await store.checks("ep1", 0, 2000)
    await store.close()
    assert writer.written == len(stored) == 25
    assert announced == [change]


async def test_a_failing_store_is_retried_with_backoff_however_much_arrives(
    store: FlakyStore,
) -> None:
    def on_stored(checks: Sequence[CheckResult], changes: Sequence[StatusChange]) -> None:
        del checks, changes

    writer = StoreWriter(store, on_stored, flush_interval_s=0.05)
    store.broken = True
    task = asyncio.create_task(writer.run())
    for ts in range(100):  # a snapshot every 10 ms for a second, each asking to be written
        writer.add_snapshot(EndpointSnapshot("ep1", State.UP, 1000.0 + ts, 1000.0 + ts, None))
        await asyncio.sleep(0.01)
    # tries after 0, 0.05, 0.1, 0.2, 0.4 and 0.8 s: six in a second, fewer on a slow machine
    assert 1 <= writer.health.failures <= 7
    assert writer.health.failing and writer.health.last_error == "database is locked"
    store.broken = False
    writer.close()
    await task
    assert not writer.health.failing and writer.health.last_success_ts is not None


async def test_beyond_the_memory_cap_the_oldest_checks_are_dropped_and_counted(
    store: FlakyStore,
) -> None:
    def on_stored(checks: Sequence[CheckResult], changes: Sequence[StatusChange]) -> None:
        del checks, changes

    writer = StoreWriter(store, on_stored, max_pending=5)
    for ts in range(8):
        writer.add_checks([check(1000.0 + ts)])
    assert (writer.pending, writer.dropped) == (5, 3)
    await writer.flush()
    assert [c.ts for c in await store.checks("ep1", 0, 2000)] == [1003.0 + i for i in range(5)]


async def test_a_burst_beyond_the_memory_cap_drops_as_checks_queued_one_by_one_do(
    store: FlakyStore, caplog: pytest.LogCaptureFixture
) -> None:
    """The oldest go, each counted, and the loud line comes at the first drop only (then at
    every 10,000th), whether the checks came one by one or in bursts."""

    def on_stored(checks: Sequence[CheckResult], changes: Sequence[StatusChange]) -> None:
        del checks, changes

    writer = StoreWriter(store, on_stored, max_pending=5)
    writer.add_checks([check(1000.0 + ts) for ts in range(4)])
    writer.add_checks([check(1004.0 + ts) for ts in range(4)])
    assert (writer.pending, writer.dropped) == (5, 3)
    assert writer.oldest_pending_ts == 1003.0
    writer.add_checks([check(1008.0 + ts) for ts in range(10_000)])
    assert writer.dropped == 10_003
    assert [r.getMessage() for r in caplog.records if "dropped so far" in r.getMessage()] == [
        "store is not keeping up: 3 checks dropped so far",
        "store is not keeping up: 10003 checks dropped so far",
    ]
