"""Check durations by probe type: what the Prometheus exporter turns into a histogram."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from pulse_store_sql import SqlStore

from pulse_core.engine.monitor import DURATION_BUCKETS_S, DurationHistogram, Monitor
from pulse_core.engine.writer import StoreWriter
from pulse_core.models import CheckResult, Endpoint, ProbeResult, StatusChange
from pulse_core.probe import Probe


class SlowProbe(Probe):
    """Answers after a fixed delay, so the duration a check lands in is known."""

    type_name = "slow"
    delay_s = 0.03

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        await asyncio.sleep(self.delay_s)
        return ProbeResult.success(self.delay_s * 1000)


def _ignore(checks: Sequence[CheckResult], changes: Sequence[StatusChange]) -> None:
    del checks, changes


def test_histogram_counts_each_duration_in_the_first_bucket_that_holds_it() -> None:
    histogram = DurationHistogram()
    for seconds in (0.001, 0.0011, 0.3, 99.0):
        histogram.observe(seconds)
    assert histogram.counts[0] == 1  # le 0.001 includes its bound
    assert histogram.counts[DURATION_BUCKETS_S.index(0.0025)] == 1
    assert histogram.counts[DURATION_BUCKETS_S.index(0.5)] == 1
    assert histogram.counts[-1] == 1  # beyond the last bound
    assert histogram.sum_s == 0.001 + 0.0011 + 0.3 + 99.0


async def test_monitor_times_every_check_by_probe_type(tmp_path: Path) -> None:
    endpoint = Endpoint(id="e1", name="slow one", group_id="g", type="slow", host="127.0.0.1")
    writer = StoreWriter(SqlStore(f"sqlite:///{tmp_path / 'pulse.db'}"), _ignore)
    monitor = Monitor({"slow": SlowProbe()}, writer)
    monitor.set_endpoints([endpoint])
    for _ in range(3):
        await monitor.run_check(endpoint, time.time())
    histogram = monitor.durations["slow"]
    assert sum(histogram.counts) == 3
    first_possible = DURATION_BUCKETS_S.index(0.05)  # 30 ms or more: past the 25 ms bound
    assert sum(histogram.counts[first_possible:]) == 3
    assert histogram.sum_s >= 3 * SlowProbe.delay_s
