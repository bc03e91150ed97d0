"""``POST /query``: each target answered by its kind, in request order."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from pulse_core.contract import STATUS_WORDS, PulseView, bad_request
from pulse_exporter_grafana.buckets import plan_buckets
from pulse_exporter_grafana.outages import outage_annotations, outage_table, outages_in
from pulse_exporter_grafana.protocol import QueryRequest, TargetParams
from pulse_exporter_grafana.scope import Scope, select
from pulse_exporter_grafana.series import availability, response_time

#: the targets ``/metrics`` lists, with what each shows
TARGETS = {
    "availability": "Percent of successful checks per interval",
    "response_time": "Round trip of successful checks per interval (ms), aggregated",
    "status_count": "Number of endpoints with a live status (online, offline, flapping, "
    "unreachable) now",
    "outages": "Outages in the range, as a table or as annotations",
}


async def answer(pulse: PulseView, query: QueryRequest) -> list[dict[str, Any]]:
    now = time.time()
    start, end = query.span(now)
    results = []
    for params in query.target_params():
        if params.target not in TARGETS:
            raise bad_request(
                f"target {params.target!r} is not one of: {', '.join(TARGETS)}"
            )
        scope = select(pulse.config, params, query.adhoc_filters)
        results.append(await _one(pulse, query, params, scope, start, end, now))
    return results


async def _one(
    pulse: PulseView, query: QueryRequest, params: TargetParams, scope: Scope,
    start: float, end: float, now: float,
) -> dict[str, Any]:
    if params.target == "status_count":
        return {
            "target": f"{scope.label} {params.status}",
            "datapoints": [[_count_with_status(pulse, scope, params.status, now), round(now * 1000)]],
        }
    if params.target == "outages":
        outages = await outages_in(pulse.store, scope, start, end)
        if params.format == "annotations":
            return outage_annotations(pulse.config, outages, now)
        return outage_table(pulse.config, outages)
    wanted_step = params.interval_s or (query.interval_ms / 1000 if query.interval_ms else None)
    raw_since = now - pulse.config.storage.retention_days * 86400
    buckets = plan_buckets(
        start, end, scope.endpoints, wanted_step, query.max_data_points, raw_since
    )
    if params.target == "availability":
        points = await availability(pulse.store, scope.endpoints, buckets, end)
        return {"target": f"{scope.label} availability", "datapoints": points}
    points = await response_time(pulse.store, scope.endpoints, buckets, end, params.aggregation)
    return {"target": f"{scope.label} response time {params.aggregation}", "datapoints": points}


def _count_with_status(pulse: PulseView, scope: Scope, status: str, now: float) -> int:
    found = (pulse.status(endpoint.id, now) for endpoint in scope.endpoints)
    counts = Counter(STATUS_WORDS[one.live_status] for one in found if one is not None)
    return counts[status]
