"""``groups``: the hierarchy endpoints are filed under.

Each entry's own keys are validated by ``GroupSection``; what this module checks needs the
whole list at once: ids are unique, every ``parent_id`` names a group, and no parent chain
comes back to where it started.
"""

from __future__ import annotations

from collections.abc import Sequence

from pulse_core.config.errors import IssueCollector, did_you_mean
from pulse_core.config.model import GroupSection
from pulse_core.models import Group

#: a validated ``groups[]`` entry with its index in the list
IndexedGroup = tuple[int, GroupSection]


def build_groups(sections: Sequence[IndexedGroup], issues: IssueCollector) -> tuple[Group, ...]:
    """The groups in file order, after reporting duplicates, unknown parents and cycles."""
    index_of: dict[str, int] = {}
    for index, section in sections:
        if section.id in index_of:
            issues.add(
                ("groups", index, "id"),
                f"duplicate group id '{section.id}': "
                f"groups[{index_of[section.id]}] already uses it",
            )
        else:
            index_of[section.id] = index
    unique = {section.id: section for index, section in sections if index_of[section.id] == index}
    for index, section in sections:
        if section.parent_id is not None and section.parent_id not in unique:
            issues.add(
                ("groups", index, "parent_id"),
                f"no group has id '{section.parent_id}'" + did_you_mean(section.parent_id, unique),
            )
    for cycle in _parent_cycles(unique):
        issues.add(
            ("groups", index_of[cycle[0]], "parent_id"),
            f"groups form a cycle: {' → '.join(cycle)}; one of them must have another parent_id",
        )
    return tuple(
        Group(
            section.id, section.name, section.parent_id, section.color, section.sort_order,
            section.site,
        )
        for section in unique.values()
    )


def inherited_sites(groups: Sequence[Group]) -> dict[str, str]:
    """The site of each group that has one, its own or its nearest ancestor's (cycles were
    reported already and end the walk)."""
    by_id = {group.id: group for group in groups}
    sites: dict[str, str] = {}
    for group in groups:
        seen: set[str] = set()
        current: Group | None = group
        while current is not None and current.site is None and current.id not in seen:
            seen.add(current.id)
            current = by_id.get(current.parent_id) if current.parent_id else None
        if current is not None and current.site is not None:
            sites[group.id] = current.site
    return sites


def _parent_cycles(groups: dict[str, GroupSection]) -> list[list[str]]:
    """Every cycle of parent links once, as ``[a, b, a]``, from its first group in the file."""
    order = {group_id: position for position, group_id in enumerate(groups)}
    cycles: list[list[str]] = []
    finished: set[str] = set()
    for start in groups:
        chain: list[str] = []
        current: str | None = start
        while current in groups and current not in finished and current not in chain:
            chain.append(current)
            current = groups[current].parent_id
        if current in chain:
            loop = chain[chain.index(current) :]
            first = min(loop, key=order.__getitem__)
            rotated = loop[loop.index(first) :] + loop[: loop.index(first)]
            cycles.append([*rotated, first])
        finished.update(chain)
    return cycles
