"""Changing one ``targets[]`` entry of a configuration, keeping the rest of the file as written.

The YAML file is the source of truth, so the write API edits the document rather than
regenerating it. The entry to change is found in the text (PyYAML's C parser gives every
node's position), cut out, round-tripped with ruamel.yaml (which keeps its comments, key
order, quoting and style) and put back; every other line of the file stays byte for byte.
ruamel alone could edit the whole document, but its pure-Python round trip of a 10,000-target
file takes many seconds; a flow-style ``targets: [...]`` list, or an entry that does not stand
alone (an alias to an anchor elsewhere), is still edited that way. ruamel's emitter does not
detect indentation, so the file's own is measured and reused.

Endpoints do not record which target they came from; :func:`endpoint_targets` recovers it
from the running configuration and its text, whose endpoints are built target by target,
in file order.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from yaml.nodes import MappingNode, Node, SequenceNode

from pulse_core.config.env import substitute_env
from pulse_core.config.errors import IssueCollector
from pulse_core.config.expand import cidr_range, wildcard_range
from pulse_core.config.model import PulseConfig, text_sha256
from pulse_core.config.targets import ADDRESS_KEYS
from pulse_core.config.yaml_source import parse_yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: keys of a new target written first, in this order, so it reads like the examples
_LEADING_KEYS = ("name", "type", "host", "port", "group")


class TargetEditError(ValueError):
    """The document cannot be edited as asked; the text is for people."""


@dataclass(frozen=True)
class TargetRef:
    """Where an endpoint comes from: ``targets[index]``, whose ``address_key`` is ``address``."""

    index: int
    #: ``host``, ``cidr`` or ``wildcard``; only ``host`` targets stand for one endpoint
    address_key: str
    #: the address, range or wildcard, ``${VAR}`` references resolved
    address: str

    @property
    def is_range(self) -> bool:
        return self.address_key != "host"


def endpoint_targets(
    config: PulseConfig, text: str, environ: Mapping[str, str] | None = None
) -> dict[str, TargetRef]:
    """The target of every endpoint of ``config``, by endpoint id.

    ``text`` must be the text the loader accepted as ``config`` (``config`` does not keep
    it: see ``PulseConfig.source_sha256``): then its endpoints are its targets expanded one
    after the other, each range in address order. Another text is a ``ValueError``.
    """
    if text_sha256(text) != config.source_sha256:
        raise ValueError("endpoint_targets: the text is not the one the configuration came from")
    document = parse_yaml(text, "<config>")
    values = substitute_env(
        document.value, os.environ if environ is None else environ, IssueCollector(document)
    )
    refs: dict[str, TargetRef] = {}
    endpoints = iter(config.endpoints)
    for index, target in enumerate(values["targets"]):
        key = next(key for key in ADDRESS_KEYS if target.get(key) is not None)
        text = str(target[key])
        count = 1 if key == "host" else _range_size(key, text)
        for _ in range(count):
            endpoint = next(endpoints)
            if key == "host" and endpoint.host != text:
                raise AssertionError(f"targets[{index}] does not match endpoint {endpoint.id}")
            refs[endpoint.id] = TargetRef(index, key, text)
    return refs


def _range_size(key: str, text: str) -> int:
    return (cidr_range(text) if key == "cidr" else wildcard_range(text)).size


def append_target(
    text: str, target: Mapping[str, Any], located: LocatedTargets | None = None
) -> tuple[str, int]:
    """``text`` with ``target`` added at the end of ``targets``, and the new entry's index.

    ``located``: the targets of ``text`` when the caller knows them already (see
    :mod:`pulse_core.config.layout`), which spares parsing the whole text to find them."""
    ordered = [key for key in _LEADING_KEYS if key in target]
    ordered += [key for key in target if key not in _LEADING_KEYS]
    entry = CommentedMap((key, target[key]) for key in ordered)
    located = located or _locate_targets(text)
    if located is None:
        document = _RoundTrip(text)
        document.targets().append(entry)
        return document.dump(), len(document.targets()) - 1
    return located.append(located.dump_entry(entry)), len(located.spans)


def update_target(
    text: str, index: int, changes: Mapping[str, Any], located: LocatedTargets | None = None
) -> str:
    """``text`` with ``targets[index]`` changed: each key of ``changes`` set, or removed when
    its value is ``None``; keys not named stay as they are, with their comments.
    ``located`` as for :func:`append_target`."""

    def change(target: CommentedMap) -> None:
        for key, value in changes.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value

    located = located or _locate_targets(text)
    if located is not None:
        located.check_index(index)
        try:
            return located.replace(index, located.edit_entry(index, change))
        except YAMLError:
            pass  # the entry does not stand alone (an alias to an anchor elsewhere, say)
    document = _RoundTrip(text)
    change(document.target(index))
    return document.dump()


def remove_target(text: str, index: int, located: LocatedTargets | None = None) -> str:
    """``text`` without ``targets[index]``; ``located`` as for :func:`append_target`."""
    located = located or _locate_targets(text)
    if located is not None:
        located.check_index(index)
        return located.remove(index)
    document = _RoundTrip(text)
    document.target(index)
    del document.targets()[index]
    return document.dump()


@dataclass(frozen=True)
class LocatedTargets:
    """A block-style ``targets`` list found in the text, each entry as a span of whole lines.

    Edits touch only those lines: the entry being changed is round-tripped on its own, so an
    edit costs the same for a file of ten targets as for one of ten thousand, and every other
    byte of the file stays as it was.
    """

    text: str
    #: ``[start, end)`` of each entry: from its dash line to the end of its last value's line
    spans: list[tuple[int, int]]
    dash_column: int
    #: how far an entry's keys sit right of its dash (2 in ``- type: tcp``)
    content_offset: int
    mapping_indent: int

    def check_index(self, index: int) -> None:
        if not 0 <= index < len(self.spans):
            raise TargetEditError(f"targets[{index}] is not a target mapping")

    def edit_entry(self, index: int, change: Callable[[CommentedMap], None]) -> str:
        start, end = self.spans[index]
        yaml = self._yaml()
        entries = yaml.load(_dedent(self.text[start:end], self.dash_column))
        if not isinstance(entries, CommentedSeq) or not isinstance(entries[0], CommentedMap):
            raise TargetEditError(f"targets[{index}] is not a target mapping")
        change(entries[0])
        return self._dump(yaml, entries)

    def dump_entry(self, entry: CommentedMap) -> str:
        return self._dump(self._yaml(), CommentedSeq([entry]))

    def replace(self, index: int, entry_text: str) -> str:
        start, end = self.spans[index]
        return self.text[:start] + entry_text + self.text[end:]

    def remove(self, index: int) -> str:
        start, end = self.spans[index]
        return self.text[:start] + self.text[end:]

    def append(self, entry_text: str) -> str:
        end = self.spans[-1][1]
        before = self.text[:end]
        separator = "" if before.endswith("\n") else "\n"
        return before + separator + entry_text + self.text[end:]

    def _yaml(self) -> YAML:
        return _round_trip_yaml(self.mapping_indent, self.content_offset, 0)

    def _dump(self, yaml: YAML, entries: CommentedSeq) -> str:
        out = io.StringIO()
        yaml.dump(entries, out)
        return _with_newlines_of(self.text, _indent(out.getvalue(), self.dash_column))


def _locate_targets(text: str) -> LocatedTargets | None:
    """The block-style ``targets`` list of ``text``; ``None`` for a flow-style one (``[...]``),
    which is edited as a whole document instead."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        raise TargetEditError(f"the configuration cannot be read: {error}") from None
    if not isinstance(root, MappingNode):
        raise TargetEditError("the configuration is not a YAML mapping")
    node = next((value for key, value in root.value if key.value == "targets"), None)
    if not isinstance(node, SequenceNode):
        raise TargetEditError("the configuration has no targets list to edit")
    if node.flow_style or not node.value:
        return None
    spans = [(entry_start(text, item.start_mark.index), line_end(text, _content_end(item)))
             for item in node.value]
    first = node.value[0]
    dash_column = node.start_mark.column
    return LocatedTargets(
        text, spans, dash_column, max(first.start_mark.column - dash_column, 2),
        _mapping_indent(root),
    )


def entry_start(text: str, end: int) -> int:
    """The start of the line holding the ``-`` of the list item whose content starts at
    ``end``; the dash may stand on a line of its own, with comment lines between it and
    the entry."""
    while True:
        start = text.rfind("\n", 0, end) + 1
        if text[start:end].lstrip().startswith("-"):
            return start
        end = start - 1


def _content_end(node: Node) -> int:
    """Where ``node``'s own text ends: a block collection's mark would also take in the
    blank and comment lines that follow it, which belong to the next entry."""
    if isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        return _content_end(last[1] if isinstance(node, MappingNode) else last)
    return int(node.end_mark.index)


def line_end(text: str, index: int) -> int:
    """The start of the line after the one ``index`` is on (``index`` itself at a line start)."""
    if index == 0 or text[index - 1] == "\n":
        return index
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _mapping_indent(root: MappingNode) -> int:
    """How far the file indents a nested mapping, read from the first block mapping under the
    root (2 if there is none)."""
    for _, value in root.value:
        if isinstance(value, MappingNode) and not value.flow_style and value.value:
            return max(int(value.value[0][0].start_mark.column), 1)
    return 2


def _dedent(text: str, columns: int) -> str:
    return "".join(
        line[min(columns, len(line) - len(line.lstrip(" "))):]
        for line in text.splitlines(keepends=True)
    )


def _indent(text: str, columns: int) -> str:
    prefix = " " * columns
    return "".join(
        prefix + line if line.strip() else line for line in text.splitlines(keepends=True)
    )


def _with_newlines_of(text: str, dumped: str) -> str:
    """``dumped`` (ruamel writes LF) with CRLF line endings when ``text`` has them, so an
    edit of a file written on Windows does not mix the two."""
    return dumped.replace("\n", "\r\n") if "\r\n" in text else dumped


def _round_trip_yaml(mapping: int, sequence: int, offset: int) -> YAML:
    round_trip = YAML(typ="rt")
    round_trip.preserve_quotes = True
    round_trip.width = 4096  # never fold a long line the user wrote on one line
    round_trip.indent(mapping=mapping, sequence=sequence, offset=offset)
    return round_trip


class _RoundTrip:
    """A whole document loaded for editing and dumped back with the file's own indentation."""

    def __init__(self, text: str) -> None:
        self.data = YAML(typ="rt").load(text)
        if not isinstance(self.data, CommentedMap):
            raise TargetEditError("the configuration is not a YAML mapping")
        self._yaml = _round_trip_yaml(*_layout(self.data))
        self._explicit_start = text.lstrip().startswith("---")
        self._text = text

    def targets(self) -> CommentedSeq:
        targets = self.data.get("targets")
        if not isinstance(targets, CommentedSeq):
            raise TargetEditError("the configuration has no targets list to edit")
        return targets

    def target(self, index: int) -> CommentedMap:
        targets = self.targets()
        target = targets[index] if 0 <= index < len(targets) else None
        if not isinstance(target, CommentedMap):
            raise TargetEditError(f"targets[{index}] is not a target mapping")
        return target

    def dump(self) -> str:
        self._yaml.explicit_start = self._explicit_start
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        return _with_newlines_of(self._text, out.getvalue())


def _layout(root: CommentedMap) -> tuple[int, int, int]:
    """``(mapping indent, sequence indent, dash offset)`` as the file writes them.

    The sequence layout is read from ``targets`` (the list being edited) and the mapping
    indent from the first block mapping under the root; ruamel's defaults fill what the file
    does not show.
    """
    mapping, sequence, offset = 2, 2, 0
    for value in root.values():
        if isinstance(value, CommentedMap) and value and not value.fa.flow_style():
            mapping = value.lc.key(next(iter(value)))[1]
            break
    targets = root.get("targets")
    if isinstance(targets, CommentedSeq) and targets and not targets.fa.flow_style():
        offset = targets.lc.col  # targets is a root key: its dashes' column is their offset
        sequence = targets.lc.item(0)[1]
    return max(mapping, 1), max(sequence, offset + 2), offset
