"""Checks go to the database through the driver itself (sqlite3's executemany, PostgreSQL's
COPY): every value must come back as written, whatever characters an error text holds."""

from __future__ import annotations

import pytest

from pulse_core.models import CheckResult, CheckStatus
from pulse_core.testing.store_conformance import ALPHA, BETA, DAY_START, EVER, add_catalog
from pulse_store_sql import SqlStore

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
