"""Retention: old raw checks go, in batches; rollups and outages stay."""

from __future__ import annotations

import time
from pathlib import Path

from pulse_store_sql import SqlStore

from pulse_core.engine.maintenance import DAY_S, prune_expired
from pulse_core.models import CheckResult, CheckStatus, Endpoint, Group, Outage, Resolution

ENDPOINT = Endpoint(id="ep1", name="plc", group_id="g", type="tcp", host="127.0.0.1", port=1)


async def test_prune_expired_deletes_only_checks_older_than_retention(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'pulse.db'}")
    await store.open()
    try:
        await store.sync_catalog([Group("g", "G")], [ENDPOINT])
        now = time.time()
        old_start = now - 10 * DAY_S
        old = [CheckResult("ep1", old_start + i, CheckStatus.UP, 1.0) for i in range(1234)]
        recent = [CheckResult("ep1", now - 60 + i, CheckStatus.UP, 1.0) for i in range(30)]
        await store.write_checks(old + recent)
        await store.write_outages([Outage("ep1", old_start, old_start + 5, "timeout")])
        await store.update_rollups()

        deleted = await prune_expired(store, retention_days=7, batch_size=100, pause_s=0)

        assert deleted == 1234
        assert len(await store.checks("ep1", 0, now + 1)) == 30
        assert len(await store.outages("ep1", 0, now)) == 1
        rollups = await store.rollups("ep1", Resolution.DAILY, old_start - DAY_S, old_start + DAY_S)
        assert sum(r.total for r in rollups) == 1234
    finally:
        await store.close()

