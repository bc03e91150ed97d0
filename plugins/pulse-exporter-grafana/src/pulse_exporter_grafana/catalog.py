"""What the query editor offers: targets with their payload fields, the choices of each
field, variable values and ad hoc filter keys and values."""

from __future__ import annotations

from typing import Any

from pulse_core.contract import PulseConfig, bad_request
from pulse_exporter_grafana.answers import TARGETS
from pulse_exporter_grafana.protocol import LIVE_WORDS
from pulse_exporter_grafana.scope import descendant_groups

_ENDPOINT = {"name": "endpointId", "label": "Endpoint", "type": "select",
             "placeholder": "all endpoints", "reloadMetric": False}
_GROUP = {"name": "group", "label": "Group", "type": "select", "placeholder": "all groups"}
_INTERVAL = {"name": "interval", "label": "Interval", "type": "input",
             "placeholder": "e.g. 5m (default: the panel's interval)"}
_STATIC_OPTIONS = {
    "aggregation": ["avg", "min", "max", "p50", "p95", "p99"],
    "status": list(LIVE_WORDS),
    "format": ["table", "annotations"],
}


def _select(name: str, label: str) -> dict[str, Any]:
    options = [{"label": value, "value": value} for value in _STATIC_OPTIONS[name]]
    return {"name": name, "label": label, "type": "select", "options": options}


_PAYLOADS = {
    "availability": [_ENDPOINT, _GROUP, _INTERVAL],
    "response_time": [_ENDPOINT, _GROUP, _select("aggregation", "Aggregation"), _INTERVAL],
    "status_count": [_GROUP, _select("status", "Status")],
    "outages": [_ENDPOINT, _GROUP, _select("format", "Format")],
}


def metrics() -> list[dict[str, Any]]:
    return [
        {"label": f"{name}: {description}", "value": name, "payloads": _PAYLOADS[name]}
        for name, description in TARGETS.items()
    ]


def payload_options(config: PulseConfig, name: str, payload: dict[str, Any]) -> list[dict[str, str]]:
    """Choices of payload field ``name``; endpoints follow a group chosen in ``payload``."""
    if name == "endpointId":
        return [{"label": text, "value": value} for text, value in endpoint_choices(config, payload.get("group"))]
    if name == "group":
        return [{"label": g.name, "value": g.id} for g in config.groups]
    return [{"label": value, "value": value} for value in _STATIC_OPTIONS.get(name, [])]


def endpoint_choices(config: PulseConfig, group: str | None) -> list[tuple[str, str]]:
    """(label, id) of enabled endpoints, of ``group`` and its subgroups when given; the
    address is in the label because names need not be unique."""
    groups = descendant_groups(config, group) if group else None
    return [
        (f"{ep.name} ({ep.address})", ep.id)
        for ep in config.endpoints
        if ep.enabled and (groups is None or ep.group_id in groups)
    ]


def variable_values(config: PulseConfig, payload: dict[str, Any] | str) -> list[dict[str, str]]:
    """``{"target": "endpoints"}`` (optionally with ``"group"``) or ``{"target": "groups"}``."""
    request = payload if isinstance(payload, dict) else {"target": payload}
    target = str(request.get("target", "")).strip()
    if target == "groups":
        return [{"__text": g.name, "__value": g.id} for g in config.groups]
    if target == "endpoints":
        return [{"__text": text, "__value": value}
                for text, value in endpoint_choices(config, request.get("group") or None)]
    raise bad_request(
        f"variable query {target!r}: use endpoints (optionally with a group) or groups"
    )


def tag_values(config: PulseConfig, key: str) -> list[dict[str, str]]:
    if key == "group":
        return [{"text": g.id} for g in config.groups]
    if key == "type":
        return [{"text": t} for t in sorted({ep.type for ep in config.endpoints})]
    return []
