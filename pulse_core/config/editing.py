"""Changing one ``targets[]`` entry of a configuration while keeping the rest of the file as written.

The YAML file is the source of truth, so the write API edits the document rather than
regenerating it: ruamel.yaml's round-trip mode keeps comments, key order, quoting and flow
or block style of everything that is not touched. Its emitter does not detect indentation by
itself, so the indentation of the user's file is measured first and reused.

Endpoints do not record which target they came from; :func:`endpoint_targets` recovers it
from the running configuration, whose endpoints are built target by target, in file order.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from pulse_core.config.errors import IssueCollector
from pulse_core.config.env import substitute_env
from pulse_core.config.expand import cidr_range, wildcard_range
from pulse_core.config.model import PulseConfig
from pulse_core.config.targets import ADDRESS_KEYS
from pulse_core.config.yaml_source import parse_yaml

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
    config: PulseConfig, environ: Mapping[str, str] | None = None
) -> dict[str, TargetRef]:
    """The target of every endpoint of ``config``, by endpoint id.

    ``config`` must be one the loader accepted from its own ``source_text``: then its
    endpoints are its targets expanded one after the other, each range in address order.
    """
    document = parse_yaml(config.source_text, "<config>")
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


def append_target(text: str, target: Mapping[str, Any]) -> tuple[str, int]:
    """``text`` with ``target`` added at the end of ``targets``, and the new entry's index."""
    document = _RoundTrip(text)
    targets = document.targets()
    ordered = [key for key in _LEADING_KEYS if key in target]
    ordered += [key for key in target if key not in _LEADING_KEYS]
    targets.append(CommentedMap((key, target[key]) for key in ordered))
    return document.dump(), len(targets) - 1


def update_target(text: str, index: int, changes: Mapping[str, Any]) -> str:
    """``text`` with ``targets[index]`` changed: each key of ``changes`` set, or removed when
    its value is ``None``; keys not named stay as they are, with their comments."""
    document = _RoundTrip(text)
    target = document.target(index)
    for key, value in changes.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return document.dump()


def remove_target(text: str, index: int) -> str:
    """``text`` without ``targets[index]``."""
    document = _RoundTrip(text)
    document.target(index)
    del document.targets()[index]
    return document.dump()


class _RoundTrip:
    """A document loaded for editing and dumped back with the file's own indentation."""

    def __init__(self, text: str) -> None:
        self._yaml = YAML(typ="rt")
        self._yaml.preserve_quotes = True
        self._yaml.width = 4096  # never fold a long line the user wrote on one line
        self.data = self._yaml.load(text)
        if not isinstance(self.data, CommentedMap):
            raise TargetEditError("the configuration is not a YAML mapping")
        mapping, sequence, offset = _layout(self.data)
        self._yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        self._explicit_start = text.lstrip().startswith("---")

    def targets(self) -> CommentedSeq:
        targets = self.data.get("targets")
        if not isinstance(targets, CommentedSeq):
            raise TargetEditError("the configuration has no targets list to edit")
        return targets

    def target(self, index: int) -> CommentedMap:
        targets = self.targets()
        if not 0 <= index < len(targets) or not isinstance(targets[index], CommentedMap):
            raise TargetEditError(f"targets[{index}] is not a target mapping")
        return targets[index]

    def dump(self) -> str:
        self._yaml.explicit_start = self._explicit_start
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        return out.getvalue()


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
