"""The ``outages`` target: a table for a table panel, or, with ``format: annotations``, the
columns Grafana turns into annotations (``time``, ``timeEnd``, ``title``, ``text``, ``tags``)
when the query is used as an annotation query."""

from __future__ import annotations

from typing import Any

from pulse_core.contract import History, Outage, PulseConfig
from pulse_exporter_grafana.scope import Scope

Table = dict[str, Any]


async def outages_in(store: History, scope: Scope, start: float, end: float) -> list[Outage]:
    """The outages of the endpoints in ``scope``: their own, not the periods they spent
    unreachable behind an offline parent (the parent's outage is the one to show)."""
    wanted = {endpoint.id for endpoint in scope.endpoints}
    only = scope.endpoints[0].id if len(scope.endpoints) == 1 else None
    return [
        o for o in await store.outages(only, start, end) if o.endpoint_id in wanted and o.offline
    ]


def _ms(ts: float | None) -> int | None:
    return None if ts is None else round(ts * 1000)


def outage_table(config: PulseConfig, outages: list[Outage]) -> Table:
    """Open outages have no end and no duration."""
    names = {ep.id: (ep.name, ep.group_id) for ep in config.endpoints}
    return {
        "type": "table",
        "columns": [
            {"text": "Start", "type": "time"},
            {"text": "End", "type": "time"},
            {"text": "Endpoint", "type": "string"},
            {"text": "Group", "type": "string"},
            {"text": "Duration (s)", "type": "number"},
            {"text": "Last error", "type": "string"},
            {"text": "Monitoring gap", "type": "boolean"},
        ],
        "rows": [
            [
                _ms(o.started_ts), _ms(o.ended_ts), *names[o.endpoint_id],
                None if o.duration_s is None else round(o.duration_s, 3), o.last_error, o.gap,
            ]
            for o in outages
        ],
    }


def outage_annotations(config: PulseConfig, outages: list[Outage], now: float) -> Table:
    """An open outage is a region up to now."""
    endpoints = {ep.id: ep for ep in config.endpoints}
    rows = []
    for o in outages:
        endpoint = endpoints[o.endpoint_id]
        rows.append([
            _ms(o.started_ts),
            _ms(o.ended_ts if o.ended_ts is not None else now),
            f"{endpoint.name} offline",
            o.last_error or "",
            ["outage", endpoint.group_id],
        ])
    return {
        "type": "table",
        "columns": [
            {"text": "time", "type": "time"},
            {"text": "timeEnd", "type": "time"},
            {"text": "title", "type": "string"},
            {"text": "text", "type": "string"},
            {"text": "tags", "type": "string"},
        ],
        "rows": rows,
    }
