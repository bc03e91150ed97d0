"""Which endpoints stand behind which: the ``depends_on`` of a configuration, resolved to ids.

A switch's PLCs depend on the switch: when it is offline they cannot be reached, and Pulse
says so (``unreachable``) instead of sending one alert per PLC (docs/topology.md). Only
endpoints that depend on something are kept, so a site without ``depends_on`` pays nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class DependsOnMode(enum.StrEnum):
    """When an endpoint counts as cut off: ``all`` its parents offline, or ``any`` one."""

    ALL = "all"
    ANY = "any"


@dataclass(frozen=True)
class Dependencies:
    """Endpoint id → the ids it depends on (its parents), in the order the file gives them."""

    parents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: endpoints whose ``depends_on_mode`` is ``any``; every other one is ``all``
    any_of: frozenset[str] = frozenset()
    #: parent id → the endpoints that depend on it directly, derived from ``parents``
    children: Mapping[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        children: dict[str, list[str]] = {}
        for child, parents in self.parents.items():
            for parent in parents:
                children.setdefault(parent, []).append(child)
        frozen = {parent: tuple(ids) for parent, ids in children.items()}
        object.__setattr__(self, "children", MappingProxyType(frozen))

    def __bool__(self) -> bool:
        return bool(self.parents)

    def mode_of(self, endpoint_id: str) -> DependsOnMode:
        return DependsOnMode.ANY if endpoint_id in self.any_of else DependsOnMode.ALL

    def descendants(self, endpoint_id: str) -> Iterator[str]:
        """Every endpoint behind ``endpoint_id``, nearest first, each once (cycles are refused
        when the configuration loads; the walk stops at one anyway)."""
        seen = {endpoint_id}
        frontier = [endpoint_id]
        while frontier:
            following: list[str] = []
            for parent in frontier:
                for child in self.children.get(parent, ()):
                    if child not in seen:
                        seen.add(child)
                        following.append(child)
                        yield child
            frontier = following
