"""``depends_on``: resolve what targets and groups depend on to endpoint ids, or say why not.

A target's ``depends_on`` applies to each of its endpoints; a group's to every endpoint in
it and in its child groups, except the endpoints it names itself (a switch filed in the
group that depends on it does not depend on itself). An entry is an endpoint's name or id.
Refused, each at the entry that causes it: a name no endpoint has, a name several endpoints
share, the name of a ``cidr``/``wildcard`` target (it stands for several endpoints: the
message says how to name one), and endpoints that end up depending on themselves (the
message gives the cycle's path).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulse_core.config.endpoints import endpoint_id
from pulse_core.config.errors import IssueCollector, Path, did_you_mean
from pulse_core.config.expand import AddressRangeError, cidr_range, wildcard_range
from pulse_core.config.groups import IndexedGroup
from pulse_core.config.targets import CheckedTarget, KeptTarget
from pulse_core.dependencies import Dependencies, DependsOnMode
from pulse_core.models import Endpoint

#: an endpoint id and where in the file its dependency on it was written
Edge = tuple[str, Path]


@dataclass
class DependentTargets:
    """The checked targets that have ``depends_on`` or ``depends_on_mode``, kept while the
    endpoints are built (:meth:`passing`): resolving needs their endpoints' ids."""

    kept: list[CheckedTarget] = field(default_factory=list)

    def passing(
        self, targets: Iterable[CheckedTarget | KeptTarget]
    ) -> Iterator[CheckedTarget | KeptTarget]:
        """``targets``, keeping those that depend on others (a kept target never does:
        entries with ``depends_on`` are always read again)."""
        for target in targets:
            if isinstance(target, CheckedTarget) and (
                target.section.depends_on or target.section.depends_on_mode
            ):
                self.kept.append(target)
            yield target


def build_dependencies(
    group_sections: Sequence[IndexedGroup],
    raw_targets: Sequence[Any],
    targets: Sequence[CheckedTarget],
    endpoints: Sequence[Endpoint],
    issues: IssueCollector,
) -> Dependencies:
    """The configuration's dependencies, after reporting every entry that cannot be one."""
    dependent_groups = [
        (index, section)
        for index, section in group_sections
        if section.depends_on or section.depends_on_mode
    ]
    if not targets and not dependent_groups:
        return Dependencies()
    resolver = _Resolver(endpoints, raw_targets)
    edges: dict[str, list[Edge]] = {}
    modes: dict[str, DependsOnMode] = {}
    for target in targets:
        own = [
            edge
            for entry, path in _entries(target.section.depends_on, (*target.path, "depends_on"))
            if (edge := resolver.resolve(entry, path, issues)) is not None
        ]
        for member in _endpoint_ids(target):
            edges.setdefault(member, []).extend(own)
            if target.section.depends_on_mode is not None:
                modes[member] = DependsOnMode(target.section.depends_on_mode)
    _inherit_from_groups(dependent_groups, group_sections, endpoints, resolver, edges, modes, issues)
    for cycle, path in _cycles(edges):
        names = " → ".join(resolver.name_of(member) for member in cycle)
        issues.add(
            path,
            f"endpoints depend on each other in a cycle: {names}; "
            "remove one of these depends_on entries",
        )
    parents = {
        child: tuple(dict.fromkeys(parent for parent, _ in found))
        for child, found in edges.items()
        if found
    }
    any_of = frozenset(
        child for child, mode in modes.items() if mode is DependsOnMode.ANY and child in parents
    )
    return Dependencies(parents, any_of)


def _inherit_from_groups(
    dependent_groups: Sequence[IndexedGroup],
    group_sections: Sequence[IndexedGroup],
    endpoints: Sequence[Endpoint],
    resolver: _Resolver,
    edges: dict[str, list[Edge]],
    modes: dict[str, DependsOnMode],
    issues: IssueCollector,
) -> None:
    """Give every endpoint the dependencies of its group and of that group's ancestors
    (nearest first); a mode of the target's own wins, then the nearest group's."""
    if not dependent_groups:
        return
    group_edges: dict[str, list[Edge]] = {}
    group_modes: dict[str, DependsOnMode] = {}
    for index, section in dependent_groups:
        group_edges[section.id] = [
            edge
            for entry, path in _entries(section.depends_on, ("groups", index, "depends_on"))
            if (edge := resolver.resolve(entry, path, issues)) is not None
        ]
        if section.depends_on_mode is not None:
            group_modes[section.id] = DependsOnMode(section.depends_on_mode)
    parent_of = {section.id: section.parent_id for _, section in group_sections}
    lineage: dict[str, list[str]] = {}  # group id → its dependent ancestors, itself first
    for endpoint in endpoints:
        chain = lineage.get(endpoint.group_id)
        if chain is None:
            chain = lineage[endpoint.group_id] = _dependent_lineage(
                endpoint.group_id, parent_of, group_edges.keys() | group_modes.keys()
            )
        for group_id in chain:
            inherited = [edge for edge in group_edges.get(group_id, ()) if edge[0] != endpoint.id]
            if inherited:
                edges.setdefault(endpoint.id, []).extend(inherited)
            mode = group_modes.get(group_id)
            if mode is not None:
                modes.setdefault(endpoint.id, mode)


def _dependent_lineage(
    group_id: str, parent_of: dict[str, str | None], dependent: set[str]
) -> list[str]:
    """``group_id`` and its ancestors that have dependencies, nearest first (a cycle of
    groups, reported elsewhere, ends the walk)."""
    chain: list[str] = []
    seen: set[str] = set()
    current: str | None = group_id
    while current is not None and current not in seen:
        seen.add(current)
        if current in dependent:
            chain.append(current)
        current = parent_of.get(current)
    return chain


def _entries(value: str | tuple[str, ...] | None, path: Path) -> list[tuple[str, Path]]:
    """The entries of a ``depends_on`` (one name, or a list of them) with their places."""
    if value is None:
        return []
    if isinstance(value, str):
        return [(value, path)]
    return [(entry, (*path, index)) for index, entry in enumerate(value)]


def _endpoint_ids(target: CheckedTarget) -> list[str]:
    """The ids of the endpoints ``target`` stands for, computed as the loader computes them."""
    section = target.section
    if target.address_key == "host":
        hosts: Iterable[str] = (str(section.host),)
    else:
        text = str(getattr(section, target.address_key))
        try:
            hosts = (cidr_range if target.address_key == "cidr" else wildcard_range)(text).addresses()
        except AddressRangeError:
            return []  # reported where the endpoints are built
    return [
        endpoint_id(section.type, host, section.port, target.options, target.probe.identity_options)
        for host in hosts
    ]


class _Resolver:
    """Endpoint names and ids, and the ``cidr``/``wildcard`` targets by name."""

    def __init__(self, endpoints: Sequence[Endpoint], raw_targets: Sequence[Any]) -> None:
        self._names = {endpoint.id: endpoint.name for endpoint in endpoints}
        self._ids_by_name: dict[str, list[str]] = {}
        for endpoint in endpoints:
            self._ids_by_name.setdefault(endpoint.name, []).append(endpoint.id)
        self._raw_targets = raw_targets

    def name_of(self, member: str) -> str:
        return self._names.get(member, member)

    def resolve(self, entry: str, path: Path, issues: IssueCollector) -> Edge | None:
        if entry in self._names:
            return entry, path
        named = self._ids_by_name.get(entry, [])
        if len(named) == 1:
            return named[0], path
        if named:
            issues.add(
                path,
                f"{len(named)} endpoints are named '{entry}': give each its own name, or "
                f"write the id of the one meant ({', '.join(named[:3])})",
            )
        elif (expansion := self._range_named(entry)) is not None:
            index, key, size, first = expansion
            issues.add(
                path,
                f"'{entry}' is targets[{index}], a {key} that expands to {size:,} endpoints: "
                f"depend on one of them by its name, like '{entry} {first}'",
            )
        else:
            issues.add(
                path,
                f"no endpoint is named '{entry}' or has that id"
                + did_you_mean(entry, self._ids_by_name),
            )
        return None

    def _range_named(self, name: str) -> tuple[int, str, int, str] | None:
        """``(index, key, size, first address)`` of the ``cidr``/``wildcard`` target named
        ``name``, if there is one."""
        for index, raw in enumerate(self._raw_targets):
            if not isinstance(raw, dict) or raw.get("name") != name:
                continue
            for key, parse in (("cidr", cidr_range), ("wildcard", wildcard_range)):
                if isinstance(raw.get(key), str):
                    try:
                        addresses = parse(raw[key])
                    except AddressRangeError:
                        continue
                    return index, key, addresses.size, next(addresses.addresses(), "")
        return None


def _cycles(edges: dict[str, list[Edge]]) -> list[tuple[list[str], Path]]:
    """Each cycle of dependencies once, as ``[a, b, a]`` from the first of its endpoints to
    depend on something, with the place of its first dependency."""
    parents = edges
    order = {child: position for position, child in enumerate(parents)}
    done: set[str] = set()
    found: dict[frozenset[str], tuple[list[str], Path]] = {}
    for start in parents:
        if start in done:
            continue
        stack: list[tuple[str, Iterator[Edge]]] = [(start, iter(parents[start]))]
        on_path = [start]
        while stack:
            node, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                on_path.pop()
                done.add(node)
                continue
            parent = step[0]
            if parent in on_path:
                loop = on_path[on_path.index(parent) :]
                if frozenset(loop) not in found:
                    first = min(loop, key=lambda member: order.get(member, len(order)))
                    rotated = loop[loop.index(first) :] + loop[: loop.index(first)]
                    following = rotated[1] if len(rotated) > 1 else first
                    path = next(path for to, path in parents[first] if to == following)
                    found[frozenset(loop)] = ([*rotated, first], path)
            elif parent not in done and parent in parents:
                stack.append((parent, iter(parents[parent])))
                on_path.append(parent)
    return list(found.values())
