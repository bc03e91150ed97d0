"""Writes around the driver and in chunks: checks go through the driver itself (sqlite3's
executemany, PostgreSQL's COPY) and must come back as written, whatever characters an error
text holds; outages and snapshots of every endpoint at once are written a chunk at a time,
later ones in a batch still winning."""

from __future__ import annotations

import pytest

from pulse_core.models import CheckResult, CheckStatus, Endpoint, EndpointSnapshot, Outage, State
from pulse_core.testing.store_conformance import (
    ALPHA,
    BETA,
    DAY_START,
    EVER,
    GROUP,
    add_catalog,
)
from pulse_store_sql import SqlStore
from pulse_store_sql.chunks import CHUNK_ROWS

#: Texts that the COPY text format must escape, or that look like its markers.
AWKWARD_ERRORS = [
    "line one\nline two",
    "a\ttab and a\rcarriage return",
    "\\N",
    "back\\slash \\. and a lone \\",
    "ünïcödé, 中文, emoji 🛰",
    "'quotes' \"doubled\" ,comma;",
    "",
]


@pytest.mark.asyncio
async def test_every_value_comes_back_as_written(database_url: str) -> None:
    store = SqlStore(database_url)
    await store.open()
    try:
        await add_catalog(store)
        written = [
            CheckResult(ALPHA.id, DAY_START + i, CheckStatus.DOWN, None, error)
            for i, error in enumerate(AWKWARD_ERRORS)
        ] + [
            CheckResult(ALPHA.id, DAY_START + 100.001, CheckStatus.UP, 0.001),
            CheckResult(ALPHA.id, DAY_START + 101.999, CheckStatus.UP, 12345.678),
            CheckResult(ALPHA.id, DAY_START + 102, CheckStatus.UP, None),
            CheckResult(ALPHA.id, DAY_START + 103, CheckStatus.DOWN, 3.5, "slow and down"),
        ]
        await store.write_checks(written)
        assert await store.checks(ALPHA.id, *EVER) == written
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_a_batch_is_written_whole_or_not_at_all(database_url: str) -> None:
    """An unknown endpoint anywhere in a batch refuses all of it, before anything is sent."""
    store = SqlStore(database_url)
    await store.open()
    try:
        await add_catalog(store)
        batch = [
            CheckResult(ALPHA.id, DAY_START + 1, CheckStatus.UP, 1.0),
            CheckResult("ghost", DAY_START + 2, CheckStatus.UP, 1.0),
            CheckResult(BETA.id, DAY_START + 3, CheckStatus.UP, 1.0),
        ]
        with pytest.raises(LookupError, match="ghost"):
            await store.write_checks(batch)
        assert await store.checks(ALPHA.id, *EVER) == []
        await store.write_checks([batch[0], batch[2]])
        assert await store.checks(BETA.id, *EVER) == [batch[2]]
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_outages_and_snapshots_of_every_endpoint_at_once(database_url: str) -> None:
    """More rows than a chunk, one endpoint's outage twice in a batch, in different chunks:
    the later one is what is kept, as in a single statement."""
    count = 2 * CHUNK_ROWS + CHUNK_ROWS // 2
    hosts = [f"10.1.{i // 250}.{i % 250}" for i in range(count)]
    endpoints = [
        Endpoint(id=f"icmp-{host}", name=host, group_id=GROUP.id, type="icmp", host=host)
        for host in hosts
    ]
    opened = [Outage(e.id, DAY_START + i, None, "timed out") for i, e in enumerate(endpoints)]
    first = opened[0]
    ended = Outage(first.endpoint_id, first.started_ts, DAY_START + 5000, "refused", gap=True)
    snapshots = [
        EndpointSnapshot(o.endpoint_id, State.DOWN, o.started_ts, o.started_ts + 1, o)
        for o in opened
    ]
    store = SqlStore(database_url)
    await store.open()
    try:
        await store.sync_catalog([GROUP], endpoints)
        await store.write_outages([*opened, ended])
        await store.write_snapshots(snapshots)
        stored = await store.outages(None, *EVER)
        assert len(stored) == count
        assert stored[0] == ended and stored[1:] == opened[1:]
        loaded = await store.load_snapshots()
        assert loaded[first.endpoint_id].open_outage == ended
        assert [loaded[e.id] for e in endpoints[1:]] == snapshots[1:]
    finally:
        await store.close()
