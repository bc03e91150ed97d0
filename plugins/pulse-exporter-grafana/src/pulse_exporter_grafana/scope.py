"""Which endpoints a target is about: one (``endpointId``), a group with its subgroups
(``group``), or every enabled endpoint; narrowed by Grafana's ad hoc filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pulse_core.contract import Endpoint, PulseConfig, bad_request
from pulse_exporter_grafana.protocol import AdhocFilter, TargetParams

#: ad hoc filter keys (``/tag-keys``) and what they compare
FILTER_KEYS = ("group", "type")


@dataclass(frozen=True)
class Scope:
    label: str
    endpoints: tuple[Endpoint, ...]


def descendant_groups(config: PulseConfig, group_id: str) -> set[str]:
    found = {group_id}
    while True:
        more = {g.id for g in config.groups if g.parent_id in found} - found
        if not more:
            return found
        found |= more


def select(config: PulseConfig, params: TargetParams, filters: Sequence[AdhocFilter]) -> Scope:
    chosen: tuple[Endpoint, ...]
    if params.endpoint_id is not None:
        endpoint = next((ep for ep in config.endpoints if ep.id == params.endpoint_id), None)
        if endpoint is None:
            raise bad_request(
                f"endpointId {params.endpoint_id!r} is not an endpoint of the running "
                "configuration (the ids are in /api/grafana/variable and /api/status/live)"
            )
        label, chosen = endpoint.name, (endpoint,)
    elif params.group is not None:
        if all(g.id != params.group for g in config.groups):
            known = ", ".join(g.id for g in config.groups)
            raise bad_request(f"group {params.group!r} is not a group id (known: {known})")
        groups = descendant_groups(config, params.group)
        label = config.group(params.group).name
        chosen = tuple(ep for ep in config.endpoints if ep.enabled and ep.group_id in groups)
    else:
        label = "All endpoints"
        chosen = tuple(ep for ep in config.endpoints if ep.enabled)
    return Scope(label, tuple(ep for ep in chosen if all(_passes(ep, f) for f in filters)))


def _passes(endpoint: Endpoint, adhoc: AdhocFilter) -> bool:
    if adhoc.key not in FILTER_KEYS:
        raise bad_request(f"ad hoc filter key {adhoc.key!r} is not one of: {', '.join(FILTER_KEYS)}")
    value = endpoint.group_id if adhoc.key == "group" else endpoint.type
    if adhoc.operator == "=":
        return value == adhoc.value
    if adhoc.operator == "!=":
        return value != adhoc.value
    raise bad_request(f"ad hoc filter operator {adhoc.operator!r} is not supported (use = or !=)")
