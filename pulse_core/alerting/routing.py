"""Which notifiers hear of a change: the ``alerts`` rules, and the endpoint filters they share
with maintenance windows (a group filter includes its child groups)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pulse_core.alerting.config import AlertRule
from pulse_core.models import Endpoint, Group


def descendants(groups: Sequence[Group], roots: Iterable[str]) -> frozenset[str]:
    """``roots`` and every group below them."""
    children: dict[str, list[str]] = {}
    for group in groups:
        if group.parent_id is not None:
            children.setdefault(group.parent_id, []).append(group.id)
    found: set[str] = set()
    stack = list(roots)
    while stack:
        group_id = stack.pop()
        if group_id not in found:
            found.add(group_id)
            stack.extend(children.get(group_id, ()))
    return frozenset(found)


@dataclass(frozen=True)
class EndpointFilter:
    """Endpoints by group (with children), id or name, and type; an empty filter matches all."""

    group_ids: frozenset[str] = frozenset()
    endpoints: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        groups: Sequence[Group],
        group_ids: Iterable[str],
        endpoints: Iterable[str],
        types: Iterable[str] = (),
    ) -> EndpointFilter:
        return cls(
            descendants(groups, group_ids), frozenset(endpoints), frozenset(types)
        )

    def matches(self, endpoint: Endpoint) -> bool:
        if self.group_ids and endpoint.group_id not in self.group_ids:
            return False
        if self.endpoints and not {endpoint.id, endpoint.name} & self.endpoints:
            return False
        return not self.types or endpoint.type in self.types


@dataclass(frozen=True)
class Route:
    """One rule of ``alerts``, ready to match."""

    notify: tuple[str, ...]
    selects: EndpointFilter
    statuses: frozenset[str]
    repeat_every_s: float | None


def build_routes(
    rules: Sequence[AlertRule] | None, notifiers: Sequence[str], groups: Sequence[Group]
) -> tuple[Route, ...]:
    """The routes of ``alerts``; without that section every notifier hears every change."""
    if rules is None:
        return (
            Route(
                tuple(notifiers),
                EndpointFilter(),
                frozenset({"offline", "online"}),
                None,
            ),
        )
    return tuple(
        Route(
            tuple(rule.notify),
            EndpointFilter.build(groups, rule.groups, rule.endpoints, rule.types),
            frozenset(rule.statuses),
            rule.repeat_every,
        )
        for rule in rules
    )


def notifiers_for(
    routes: Sequence[Route], endpoint: Endpoint, status: str
) -> list[str]:
    """Names of the notifiers a change of ``endpoint`` to ``status`` goes to, each once."""
    names: dict[str, None] = {}
    for route in routes:
        if status in route.statuses and route.selects.matches(endpoint):
            names.update(dict.fromkeys(route.notify))
    return list(names)
