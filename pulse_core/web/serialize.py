"""The API's JSON shapes (docs/api.md): camelCase keys, ISO-8601 UTC timestamps."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pulse_core.models import CheckResult, Endpoint, Group, Outage, Rollup


def iso(ts: float | None) -> str | None:
    """``2024-01-15T10:30:00.250Z``: milliseconds, always UTC."""
    if ts is None:
        return None
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def group_json(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "parentId": group.parent_id,
        "color": group.color,
        "sortOrder": group.sort_order,
    }


def endpoint_json(endpoint: Endpoint, group: Group) -> dict[str, Any]:
    options = endpoint.options
    return {
        "id": endpoint.id,
        "name": endpoint.name,
        "group": group_json(group),
        "type": endpoint.type,
        "host": endpoint.host,
        "port": endpoint.port,
        "address": endpoint.address,
        "httpPath": getattr(options, "http_path", None),
        "httpMatch": getattr(options, "http_match", None),
        "intervalSeconds": endpoint.interval_s,
        "timeoutMs": endpoint.timeout_ms,
        "retries": endpoint.retries,
        "failureThreshold": endpoint.failure_threshold,
        "successThreshold": endpoint.success_threshold,
        "expectedRttMs": endpoint.expected_rtt_ms,
        "enabled": endpoint.enabled,
        "notes": endpoint.notes,
    }


def check_json(check: CheckResult) -> dict[str, Any]:
    return {
        "ts": iso(check.ts),
        "status": check.status.value,
        "rttMs": check.rtt_ms,
        "error": check.error,
    }


def outage_json(outage: Outage) -> dict[str, Any]:
    return {
        "startedTs": iso(outage.started_ts),
        "endedTs": iso(outage.ended_ts),
        "durationS": None if outage.duration_s is None else round(outage.duration_s, 3),
        "lastError": outage.last_error,
        "gap": outage.gap,
        "unreachableBehind": outage.cause,
    }


def rollup_15m_json(rollup: Rollup) -> dict[str, Any]:
    return {
        "bucketTs": iso(rollup.bucket_ts),
        "upPct": rollup.up_pct,
        "avgRttMs": rollup.avg_rtt_ms,
        "downEvents": rollup.down_events,
    }


def rollup_daily_json(rollup: Rollup) -> dict[str, Any]:
    day = datetime.fromtimestamp(rollup.bucket_ts, tz=timezone.utc).date()
    return {
        "bucketDate": day.isoformat(),
        "upPct": rollup.up_pct,
        "avgRttMs": rollup.avg_rtt_ms,
        "downEvents": rollup.down_events,
    }
