"""How a time series is cut into buckets, and where its data comes from.

Short ranges are served from raw checks, exact for every aggregation; once a query would
read more than ``RAW_CHECK_BUDGET`` checks (a long range, many endpoints) or reaches back past
the raw retention, from the stored 15-minute or daily rollups, whose buckets then fit whole
into the series' buckets. Either way a series never has more points than ``maxDataPoints``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pulse_core.contract import Endpoint, Resolution

RAW_CHECK_BUDGET = 200_000
_ROLLUP_SECONDS = {Resolution.QUARTER_HOUR: 900, Resolution.DAILY: 86400}


@dataclass(frozen=True)
class Buckets:
    #: ``None`` for raw checks, else the rollups read
    rollups: Resolution | None
    first_s: float
    step_s: float
    count: int

    def index(self, ts: float) -> int | None:
        position = int((ts - self.first_s) // self.step_s)
        return position if 0 <= position < self.count else None

    def start_ms(self, index: int) -> int:
        return round((self.first_s + index * self.step_s) * 1000)


def plan_buckets(
    start: float,
    end: float,
    endpoints: Sequence[Endpoint],
    wanted_step_s: float | None,
    max_points: int,
    raw_since: float,
) -> Buckets:
    """``wanted_step_s`` is the target's ``interval`` or else the request's ``intervalMs``;
    it is widened as needed to stay within ``max_points``."""
    span = end - start
    step = max(wanted_step_s or 0.0, span / max_points, 1.0)
    estimated_checks = sum(span / endpoint.interval_s for endpoint in endpoints)
    if estimated_checks <= RAW_CHECK_BUDGET and start >= raw_since:
        return Buckets(None, start, step, min(max_points, math.ceil(span / step - 1e-9)))
    resolution = Resolution.DAILY if step >= 86400 else Resolution.QUARTER_HOUR
    unit = _ROLLUP_SECONDS[resolution]
    step = math.ceil(step / unit) * unit
    while True:
        first = math.floor(start / step) * step
        count = math.ceil((end - first) / step)
        if count <= max_points:
            return Buckets(resolution, first, step, count)
        step += unit
