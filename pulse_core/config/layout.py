"""Where each ``targets[]`` entry of the running text is, and which endpoints it made.

A write of one target (the endpoint write API, or an apply that changes a few targets)
must not parse and validate 10,000 others again. It needs, for the running text: the span
of every entry (to cut one out, or to know which entries a new text changed), which
endpoints each entry made (to swap just those), and whether the document has what makes
an entry depend on text outside it (anchors and aliases, ``depends_on``). That is this
layout: a few integers per target, kept beside the running configuration and valid for the
one text whose SHA-256 it carries (the text itself stays in the store, see
``PulseConfig.source_sha256``).
"""

from __future__ import annotations

import bisect
import os
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulse_core.config.editing import (
    LocatedTargets,
    TargetRef,
    endpoint_targets,
    entry_start,
    line_end,
)
from pulse_core.config.env import substitute_env
from pulse_core.config.errors import IssueCollector, Path
from pulse_core.config.expand import cidr_range, wildcard_range
from pulse_core.config.model import PulseConfig, text_sha256
from pulse_core.config.targets import ADDRESS_KEYS
from pulse_core.config.yaml_source import YamlDocument, parse_yaml

#: the keys that make an endpoint depend on others, by name (docs/topology.md)
DEPENDENCY_KEYS = ("depends_on", "depends_on_mode")


@dataclass(frozen=True)
class TargetLayout:
    """The ``targets`` entries of one text: spans, endpoints and what ties them together."""

    #: :func:`~pulse_core.config.model.text_sha256` of the text this layout describes
    sha256: str
    #: ``[starts[i], ends[i])``: entry ``i`` as whole lines, from its dash line to the end
    #: of its last value's line
    starts: array[int]
    ends: array[int]
    #: YAML values of each entry (the document's limit counts them)
    values: array[int]
    #: entry ``i`` made ``config.endpoints[first_endpoint[i]:first_endpoint[i + 1]]``
    first_endpoint: array[int]
    #: the ``cidr``/``wildcard`` entries (each the target of many endpoints), by index
    ranges: Mapping[int, TargetRef]
    #: values of the whole document
    total_values: int
    dash_column: int
    content_offset: int
    mapping_indent: int
    #: whether an entry may mean something its own text does not say: anchors or aliases
    #: anywhere, or ``depends_on`` (resolved against every endpoint's name)
    entangled: bool

    @property
    def count(self) -> int:
        return len(self.starts)

    def located(self, text: str) -> LocatedTargets:
        """The entries of ``text`` (this layout's text) for the editing functions."""
        return LocatedTargets(
            text, list(zip(self.starts, self.ends)), self.dash_column, self.content_offset,
            self.mapping_indent,
        )

    def target_of(self, config: PulseConfig, endpoint_id: str) -> TargetRef | None:
        """The entry ``endpoint_id`` comes from (``config`` is this layout's configuration).

        A scan of the endpoints (under a millisecond for 10,000) rather than an index by id
        kept beside them, which would cost about 100 bytes an endpoint for as long as the
        configuration runs."""
        position = next(
            (at for at, endpoint in enumerate(config.endpoints) if endpoint.id == endpoint_id),
            None,
        )
        if position is None:
            return None
        index = bisect.bisect_right(self.first_endpoint, position) - 1
        ranged = self.ranges.get(index)
        if ranged is not None:
            return ranged
        return TargetRef(index, "host", config.endpoints[position].host)


@dataclass(frozen=True)
class RunningText:
    """The running configuration, its text, and that text's layout (``None`` for a
    flow-style ``targets`` list): what an edit of one target starts from."""

    config: PulseConfig
    text: str
    layout: TargetLayout | None

    def located(self) -> LocatedTargets | None:
        """The entries for the editing functions; ``None``: they find them themselves."""
        return self.layout.located(self.text) if self.layout is not None else None

    def target_of(self, endpoint_id: str) -> TargetRef | None:
        """The entry ``endpoint_id`` comes from; ``None`` for an endpoint not configured."""
        if self.layout is not None:
            return self.layout.target_of(self.config, endpoint_id)
        return endpoint_targets(self.config, self.text).get(endpoint_id)

    def target_count(self) -> int:
        if self.layout is not None:
            return self.layout.count
        return len({ref.index for ref in endpoint_targets(self.config, self.text).values()})


def layout_of(
    config: PulseConfig, text: str, environ: Mapping[str, str] | None = None
) -> TargetLayout | None:
    """The layout of ``text``, the text ``config`` was loaded from; ``None`` for a flow-style
    ``targets: [...]`` list (edited as a whole document) or a text that is not
    ``config``'s."""
    if text_sha256(text) != config.source_sha256:
        return None
    document = parse_yaml(text, "<config>", marked=("targets",))
    marks = document.marks
    if marks is None or marks.flow or not marks.starts or not isinstance(document.value, dict):
        return None
    targets = document.value["targets"]
    counts = endpoint_counts(document, targets, ("targets",), environ)
    first_endpoint = array("I", [0])
    for count in counts:
        first_endpoint.append(first_endpoint[-1] + count)
    if first_endpoint[-1] != len(config.endpoints):
        return None
    groups = document.value.get("groups")
    dependent = any(
        isinstance(entry, dict) and any(key in entry for key in DEPENDENCY_KEYS)
        for entry in [*targets, *(groups if isinstance(groups, list) else ())]
    )
    starts = array("I", (entry_start(text, start) for start in marks.starts))
    first_line = starts[0]
    dash_column = text.index("-", first_line) - first_line
    content_column = marks.starts[0] - (text.rfind("\n", 0, marks.starts[0]) + 1)
    return TargetLayout(
        sha256=config.source_sha256,
        starts=starts,
        ends=array("I", (line_end(text, end) for end in marks.ends)),
        values=marks.values,
        first_endpoint=first_endpoint,
        ranges=ranges_of(document, targets, ("targets",), 0, environ),
        total_values=document.values,
        dash_column=dash_column,
        content_offset=max(content_column - dash_column, 2),
        mapping_indent=max(document.mapping_indent or 2, 1),
        entangled=document.anchored or dependent,
    )


def endpoint_counts(
    document: YamlDocument, targets: list[Any], path: Path,
    environ: Mapping[str, str] | None = None,
) -> list[int]:
    """How many endpoints each of ``targets`` (valid entries) makes."""
    return [
        1 if key == "host" else _range_size(key, address)
        for key, address in (_address(document, target, (*path, index), environ)
                             for index, target in enumerate(targets))
    ]


def ranges_of(
    document: YamlDocument, targets: list[Any], path: Path, first_index: int,
    environ: Mapping[str, str] | None = None,
) -> dict[int, TargetRef]:
    """The ``cidr``/``wildcard`` entries of ``targets``, numbered from ``first_index``."""
    found: dict[int, TargetRef] = {}
    for index, target in enumerate(targets):
        key, address = _address(document, target, (*path, index), environ)
        if key != "host":
            found[first_index + index] = TargetRef(first_index + index, key, address)
    return found


def _address(
    document: YamlDocument, target: dict[str, Any], path: Path,
    environ: Mapping[str, str] | None,
) -> tuple[str, str]:
    """The address key of a valid target and its value, ``${VAR}`` resolved."""
    key = next(key for key in ADDRESS_KEYS if target.get(key) is not None)
    value = target[key]
    if isinstance(value, str) and "$" in value:
        environ = os.environ if environ is None else environ
        value = substitute_env(value, environ, IssueCollector(document), (*path, key))
    return key, str(value)


def _range_size(key: str, text: str) -> int:
    return (cidr_range(text) if key == "cidr" else wildcard_range(text)).size
