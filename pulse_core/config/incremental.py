"""Applying a text that changes only some ``targets[]`` entries of the running one, without
reloading the rest.

A 10,000-target file takes about half a second to parse and validate; a write of one target
must not pay it. The new text is compared with the running one (the common start and end,
a few memory comparisons), the change widened to whole entries, and only those lines are
parsed and validated, in the running configuration's context (its groups, defaults, the
other endpoints' ids, the endpoint ceiling). The other entries keep their endpoints, the
very objects, so comparing the two configurations costs only the changed entries.

Anything this cannot decide alone makes it answer ``None``, and the caller loads the whole
text as before: a change outside the targets list, a region whose lines do not stand alone
as list entries, anchors or aliases, ``depends_on`` (resolved by names across the file),
and every problem at all: the whole load reports each with its line and column.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulse_core.config.chunks import DIGEST_SIZE, NO_DIGEST, plain_lines
from pulse_core.config.editing import entry_start, line_end
from pulse_core.config.endpoints import build_endpoints, own_settings
from pulse_core.config.env import substitute_env
from pulse_core.config.errors import ConfigError, IssueCollector, Path
from pulse_core.config.groups import inherited_sites
from pulse_core.config.layout import (
    DEPENDENCY_KEYS,
    TargetLayout,
    endpoint_counts,
    entry_digest,
    ranges_of,
    remember,
)
from pulse_core.config.limits import endpoints_ceiling
from pulse_core.config.model import PulseConfig, text_sha256
from pulse_core.config.privileged import new_references
from pulse_core.config.targets import check_targets
from pulse_core.config.yaml_source import MAX_VALUES, YamlDocument, parse_yaml
from pulse_core.models import Endpoint
from pulse_core.probe import Probe

if TYPE_CHECKING:
    from pulse_core.config.budget import Budget
    from pulse_core.config.load import CrossChecks

#: a block scalar that keeps its trailing blank lines (``|+``), which may lie past the region
_KEEP_CHOMPING = re.compile(r"[|>][1-9]?\+")


@dataclass(frozen=True)
class Region:
    """The entries ``first .. first + old_count - 1`` of the running text, ``old[start:end]``,
    are ``new[start:new_end]`` in the new text."""

    first: int
    old_count: int
    start: int
    end: int
    new_end: int

    def old_text(self, old: str) -> str:
        return _fragment(old, self.start, self.end)

    def new_text(self, new: str) -> str:
        return _fragment(new, self.start, self.new_end)


def changed_region(layout: TargetLayout, old: str, new: str) -> Region | None:
    """Where ``new`` differs from ``old`` (``layout``'s text), as whole ``targets`` entries;
    ``None`` when the change reaches outside them or its lines do not stand alone as
    entries of that list."""
    if layout.entangled:
        return None
    # the common start cut back to a line start, and the common end found after it, so
    # that lines inserted between entries touch none of them
    start = old.rfind("\n", 0, _common_prefix(old, new)) + 1
    changed_end = len(old) - _common_prefix(old[start:][::-1], new[start:][::-1])
    first = bisect.bisect_right(layout.ends, start)
    if first > 0 and not _starts_an_entry(new, start, layout.dash_column):
        first -= 1  # lines added at the end of an entry belong to it
    end = line_end(old, changed_end)
    growth = len(new) - len(old)
    while True:  # whole lines in both texts, and whole entries of the old one
        last = bisect.bisect_left(layout.starts, end) - 1
        if first <= last:
            start, end = min(start, layout.starts[first]), max(end, layout.ends[last])
        new_end = end + growth
        if new_end <= start or new_end == len(new) or new[new_end - 1] == "\n":
            break
        # the change ends inside a line of the new text: take the rest of it, which both
        # texts share
        newline = new.find("\n", new_end)
        end = len(old) if newline < 0 else end + newline + 1 - new_end
    if start < layout.starts[0] or end > layout.ends[-1]:
        return None
    region = Region(first, max(last - first + 1, 0), start, end, new_end)
    if not _stands_alone(new[start:new_end], layout.dash_column):
        return None
    return region


def added_references(region: Region, old: str, new: str) -> bool:
    """Whether ``new`` has a ``${VAR}`` reference ``old`` has not, judged on the region
    alone (references are counted with list positions left out, and the rest of the two
    texts is the same). A region that is not YAML counts as one: the check of the whole
    text words the error."""
    try:
        return bool(new_references(region.old_text(old), region.new_text(new)))
    except ConfigError:
        return True


@dataclass(frozen=True)
class Reloaded:
    config: PulseConfig
    layout: TargetLayout
    added: tuple[Endpoint, ...]
    updated: tuple[Endpoint, ...]
    removed: tuple[Endpoint, ...]


def reload_region(
    running: PulseConfig,
    layout: TargetLayout,
    region: Region,
    new: str,
    *,
    probes: Mapping[str, type[Probe]],
    environ: Mapping[str, str],
    cross_checks: CrossChecks | None = None,
    budget: Budget | None = None,
) -> Reloaded | None:
    """``new`` loaded by validating only ``region``'s entries against ``running``; ``None``
    when the whole text must be loaded instead (see the module's docstring)."""
    fragment = region.new_text(new)
    try:
        document = parse_yaml(fragment, "<config>", budget, marked=(), depth=1)
    except ConfigError:
        return None
    targets = document.value if document.value is not None else []
    if document.issues or document.anchored or not isinstance(targets, list):
        return None
    old_values = sum(layout.values[region.first:region.first + region.old_count])
    new_values = sum(document.marks.values) if document.marks is not None else 0
    total_values = layout.total_values - old_values + new_values
    if total_values > MAX_VALUES or layout.count - region.old_count + len(targets) < 1:
        return None
    if any(isinstance(entry, dict) and any(k in entry for k in DEPENDENCY_KEYS) for entry in targets):
        return None
    issues = IssueCollector(_Unplaced())
    written = targets
    targets = substitute_env(targets, environ, issues)
    try:
        ceiling = endpoints_ceiling(environ)
    except ValueError:
        return None
    first_old = layout.first_endpoint[region.first]
    end_old = layout.first_endpoint[region.first + region.old_count]
    others = len(running.endpoints) - (end_old - first_old)
    if others > ceiling:
        return None
    checked = check_targets(targets, probes, {group.id for group in running.groups}, issues)
    made = build_endpoints(
        checked, running.defaults, issues, ceiling - others, budget,
        inherited_sites(running.groups),
    )
    if issues.issues:
        return None
    old = running.endpoints[first_old:end_old]
    old_ids = {endpoint.id for endpoint in old}
    taken = {endpoint.id for endpoint in running.endpoints}
    if any(endpoint.id in taken and endpoint.id not in old_ids for endpoint in made):
        return None  # a duplicate of an entry outside the region: the whole load says which
    config = dataclasses.replace(
        running,
        endpoints=running.endpoints[:first_old] + made + running.endpoints[end_old:],
        source_sha256=text_sha256(new),
    )
    if cross_checks is not None:
        cross_checks(config, lambda path, message: issues.add(path, message))
        if issues.issues:
            return None
    counts = endpoint_counts(document, written, (), environ)
    if sum(counts) != len(made):
        return None
    spliced = _spliced(
        layout, region, new, document, counts, total_values, written, environ,
        config.source_sha256,
    )
    remember(config, spliced, probes)
    return Reloaded(config, spliced, *_changes(old, made))


def _changes(
    old: Sequence[Endpoint], new: Sequence[Endpoint]
) -> tuple[tuple[Endpoint, ...], tuple[Endpoint, ...], tuple[Endpoint, ...]]:
    """(added, updated, removed) between the region's endpoints before and after."""
    before = {endpoint.id: endpoint for endpoint in old}
    after = {endpoint.id for endpoint in new}
    return (
        tuple(endpoint for endpoint in new if endpoint.id not in before),
        tuple(
            endpoint for endpoint in new
            if endpoint.id in before and before[endpoint.id] != endpoint
        ),
        tuple(endpoint for endpoint in old if endpoint.id not in after),
    )


def _spliced(
    layout: TargetLayout, region: Region, new: str, document: YamlDocument,
    counts: list[int], total_values: int, targets: list[Any], environ: Mapping[str, str],
    sha256: str,
) -> TargetLayout:
    """``layout`` with the region's entries replaced by those of ``document``."""
    first, removed = region.first, region.old_count
    after = first + removed
    shift = region.new_end - region.end
    # the fragment starts with one newline per line before the region: its indexes are
    # the new text's, less the region's start, plus those newlines
    offset = region.start - (len(document.text) - (region.new_end - region.start))
    marks = document.marks
    new_starts = [entry_start(new, offset + start) for start in marks.starts] if marks else []
    new_ends = [line_end(new, offset + end) for end in marks.ends] if marks else []
    firsts = layout.first_endpoint
    endpoint_shift = sum(counts) - (firsts[after] - firsts[first])
    made = array("I", [])
    for count in counts:
        made.append((made[-1] if made else firsts[first]) + count)
    added = len(targets) - removed
    ranges = {
        (index if index < first else index + added): dataclasses.replace(
            ref, index=index if index < first else index + added)
        for index, ref in layout.ranges.items()
        if index < first or index >= after
    }
    ranges.update(ranges_of(document, targets, (), first, environ))
    if plain_lines(new):
        digests = layout.digests[:first * DIGEST_SIZE] + b"".join(
            entry_digest(new, start, end, target)
            for start, end, target in zip(new_starts, new_ends, targets)
        ) + layout.digests[after * DIGEST_SIZE:]
    else:
        digests = NO_DIGEST * (len(layout.starts) + added)
    return dataclasses.replace(
        layout,
        sha256=sha256,
        starts=layout.starts[:first] + array("I", new_starts)
        + array("I", (start + shift for start in layout.starts[after:])),
        ends=layout.ends[:first] + array("I", new_ends)
        + array("I", (end + shift for end in layout.ends[after:])),
        values=layout.values[:first] + (marks.values if marks else array("I"))
        + layout.values[after:],
        first_endpoint=firsts[:first + 1] + made
        + array("I", (start + endpoint_shift for start in firsts[after + 1:])),
        ranges=ranges,
        total_values=total_values,
        digests=digests,
        own=layout.own[:first] + array("B", map(own_settings, targets)) + layout.own[after:],
    )


def _fragment(text: str, start: int, end: int) -> str:
    """``text[start:end]`` behind one newline per line before ``start``: parsed alone, its
    marks give the lines and columns (and indexes, less ``start``) of the whole text."""
    return "\n" * text.count("\n", 0, start) + text[start:end]


def _stands_alone(fragment: str, dash_column: int) -> bool:
    """Whether ``fragment`` (whole lines) is entries of the block list whose dashes stand
    in ``dash_column``: each line blank, a comment, a dash in that column, or indented past
    it after a dash; then it reads the same alone as within the file."""
    if _KEEP_CHOMPING.search(fragment):
        return False
    in_entry = False
    for line in fragment.splitlines():
        content = line.lstrip(" ")
        if not content.strip() or content.startswith("#"):
            continue
        indent = len(line) - len(content)
        if indent == dash_column and (content[:2] in ("- ", "-\t") or content.rstrip() == "-"):
            in_entry = True
        elif not (indent > dash_column and in_entry and not content.startswith("\t")):
            return False
    return True


def _starts_an_entry(text: str, start: int, dash_column: int) -> bool:
    """Whether the first line from ``start`` on that is neither blank nor a comment is a
    dash in ``dash_column`` (or there is none)."""
    for line in text[start:start + 4096].splitlines():
        content = line.lstrip(" ")
        if content.strip() and not content.startswith("#"):
            return len(line) - len(content) <= dash_column
    return True


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common start of ``a`` and ``b``, by halving (each step one
    comparison of two slices in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


class _Unplaced:
    """The source of issues found in a region: never shown, since any issue sends the text
    to the whole load, which places each."""

    def locate(self, path: Path, at_key: bool = False) -> tuple[int, int] | None:
        return None

    def value_at(self, path: Path) -> Any:
        return None
