"""The ``availability`` and ``response_time`` targets: one pooled series per target, over
the checks (or rollups) of every endpoint in scope."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pulse_core.contract import CheckStatus, Endpoint, History, bad_request
from pulse_exporter_grafana.buckets import Buckets

Datapoints = list[list[float]]


class _Tally:
    """Per bucket: checks, successful ones, and the round trips of the successful ones."""

    def __init__(self, count: int) -> None:
        self.total = [0] * count
        self.up = [0] * count
        self.rtts: list[list[float]] = [[] for _ in range(count)]
        self.rtt_sums = [0.0] * count
        self.rtt_counts = [0] * count


async def _tally(
    store: History, endpoints: Sequence[Endpoint], buckets: Buckets, end: float
) -> _Tally:
    """Pooled over every endpoint in scope, read with the store's bulk reads: a page of many
    endpoints per query, not a query per endpoint."""
    tally = _Tally(buckets.count)
    ids = [endpoint.id for endpoint in endpoints]
    if buckets.rollups is None:
        async for checks in store.checks_many(ids, buckets.first_s, end):
            for check in checks:
                index = buckets.index(check.ts)
                if index is None:
                    continue
                tally.total[index] += 1
                if check.status is CheckStatus.UP:
                    tally.up[index] += 1
                    if check.rtt_ms is not None:
                        tally.rtts[index].append(check.rtt_ms)
        return tally
    async for rollups in store.rollups_many(ids, buckets.rollups, buckets.first_s, end):
        for rollup in rollups:
            index = buckets.index(rollup.bucket_ts)
            if index is None:
                continue
            tally.total[index] += rollup.total
            tally.up[index] += rollup.up
            tally.rtt_sums[index] += rollup.rtt_sum_ms
            tally.rtt_counts[index] += rollup.rtt_count
    return tally


async def availability(
    store: History, endpoints: Sequence[Endpoint], buckets: Buckets, end: float
) -> Datapoints:
    """Percent of successful checks per bucket; buckets without checks are left out."""
    tally = await _tally(store, endpoints, buckets, end)
    return [
        [round(tally.up[i] * 100.0 / tally.total[i], 2), buckets.start_ms(i)]
        for i in range(buckets.count)
        if tally.total[i]
    ]


async def response_time(
    store: History, endpoints: Sequence[Endpoint], buckets: Buckets, end: float, aggregation: str
) -> Datapoints:
    """Round trips of successful checks per bucket, in milliseconds. Rollups keep sums and
    counts only, so over rollups only ``avg`` can be answered."""
    if buckets.rollups is not None and aggregation != "avg":
        raise bad_request(
            f"aggregation {aggregation} needs raw checks, and this range reaches past what "
            f"is read raw (too long, too many endpoints, or older than the raw retention): "
            f"use avg, a shorter range or fewer endpoints"
        )
    tally = await _tally(store, endpoints, buckets, end)
    points = []
    for i in range(buckets.count):
        if buckets.rollups is not None:
            value = tally.rtt_sums[i] / tally.rtt_counts[i] if tally.rtt_counts[i] else None
        else:
            value = _aggregate(tally.rtts[i], aggregation)
        if value is not None:
            points.append([round(value, 3), buckets.start_ms(i)])
    return points


def _aggregate(values: list[float], aggregation: str) -> float | None:
    if not values:
        return None
    if aggregation == "avg":
        return sum(values) / len(values)
    if aggregation == "min":
        return min(values)
    if aggregation == "max":
        return max(values)
    return percentile(sorted(values), int(aggregation[1:]))


def percentile(ordered: list[float], percent: int) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    position = (len(ordered) - 1) * percent / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
