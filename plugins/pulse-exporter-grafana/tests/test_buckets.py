"""Cutting a range into buckets: raw or rollups, aligned, never more than maxDataPoints."""

from __future__ import annotations

import itertools

from pulse_exporter_grafana.buckets import RAW_CHECK_BUDGET, plan_buckets

from pulse_core.models import Endpoint, Resolution

DAY = 86400
ENDPOINT = Endpoint(id="e", name="e", group_id="g", type="tcp", host="127.0.0.1", interval_s=10)
NOW = 1_700_000_000.0


def test_short_ranges_read_raw_checks_from_the_exact_start() -> None:
    buckets = plan_buckets(NOW - 3600, NOW, [ENDPOINT], 60.0, 1000, raw_since=0)
    assert (buckets.rollups, buckets.first_s, buckets.step_s, buckets.count) == (
        None, NOW - 3600, 60.0, 60
    )


def test_past_the_raw_budget_or_retention_rollups_are_read() -> None:
    many = [ENDPOINT] * (RAW_CHECK_BUDGET // 360 + 1)  # one hour of checks each
    assert plan_buckets(NOW - 3600, NOW, many, None, 100, 0).rollups is Resolution.QUARTER_HOUR
    old = plan_buckets(NOW - 3600, NOW, [ENDPOINT], None, 100, raw_since=NOW - 60)
    assert old.rollups is Resolution.QUARTER_HOUR
    daily = plan_buckets(NOW - 400 * DAY, NOW, [ENDPOINT], float(DAY), 1000, 0)
    assert daily.rollups is Resolution.DAILY and daily.first_s % DAY == 0


def test_never_more_buckets_than_max_data_points() -> None:
    spans = (60, 3600, 6 * 3600, DAY, 7 * DAY, 30 * DAY, 400 * DAY)
    steps = (None, 1.0, 60.0, 900.0, 3600.0)
    for span, step, points in itertools.product(spans, steps, (1, 2, 7, 100, 1000)):
        buckets = plan_buckets(NOW - span, NOW + 0.5, [ENDPOINT], step, points, raw_since=0)
        assert 1 <= buckets.count <= points, (span, step, points)
        assert buckets.first_s <= NOW - span
        assert buckets.first_s + buckets.count * buckets.step_s >= NOW + 0.5
        if buckets.rollups is not None:
            assert buckets.step_s % 900 == 0 and buckets.first_s % 900 == 0
