"""Read YAML into plain values while keeping the node tree, so any path can be located later.

PyYAML's loaders throw positions away and silently keep the last of two equal keys. Pulse
composes the node tree instead, builds JSON-like values from it (mappings, lists, strings,
numbers, booleans, null) and looks a path up in the tree only when an issue needs its
``line:column``, so a clean 10,000-target file pays nothing for error reporting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from pulse_core.config.errors import ConfigError, ConfigIssue, Path, format_path

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_PLAIN_SCALAR_TAGS = {_TAG + name for name in ("null", "bool", "int", "float", "str")}
#: kept as written: a date in a monitoring configuration is text, not a ``datetime``
_TIMESTAMP_TAG = _TAG + "timestamp"
_MAPPING_TAG = _TAG + "map"
_SEQUENCE_TAG = _TAG + "seq"

#: values built after following aliases; stops "billion laughs" documents early
MAX_VALUES = 1_000_000


@dataclass
class YamlDocument:
    """A parsed document: its values, its node tree, and the problems found while reading it."""

    value: Any
    root: Node | None
    issues: list[ConfigIssue] = field(default_factory=list)

    def value_at(self, path: Path) -> Any:
        """The value at ``path`` as parsed (before ``${VAR}`` substitution); ``None`` if absent."""
        value = self.value
        for part in path:
            if isinstance(value, dict) and isinstance(part, str):
                value = value.get(part)
            elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
                value = value[part]
            else:
                return None
        return value

    def locate(self, path: Path, at_key: bool = False) -> tuple[int, int] | None:
        """1-based ``(line, column)`` of ``path``'s value (or key); the nearest parent if absent."""
        if self.root is None:
            return None
        node: Node = self.root
        key_node: Node | None = None
        for part in path:
            child = _child(node, part)
            if child is None:
                return _position(node)
            key_node, node = child
        return _position(key_node if at_key and key_node is not None else node)


def parse_yaml(text: str, source_name: str) -> YamlDocument:
    """Parse ``text``; a syntax error raises :class:`ConfigError` since nothing else can be read."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return YamlDocument(None, None)
        builder = _ValueBuilder(loader, source_name)
        return YamlDocument(builder.build(root, ()), root, builder.issues)
    except yaml.MarkedYAMLError as error:
        raise ConfigError([_syntax_issue(error)], source_name) from error
    except ReaderError as error:
        raise ConfigError([_reader_issue(error, text)], source_name) from error
    finally:
        loader.dispose()


class _ValueBuilder:
    def __init__(self, loader: Any, source_name: str) -> None:
        self._loader = loader
        self._source_name = source_name
        self._built = 0
        self._checked_mappings: set[int] = set()
        self.issues: list[ConfigIssue] = []

    def build(self, node: Node, path: Path) -> Any:
        self._built += 1
        if self._built > MAX_VALUES:
            issue = ConfigIssue(
                "", f"the document expands to more than {MAX_VALUES:,} values through aliases"
            )
            raise ConfigError([issue], self._source_name)
        if isinstance(node, MappingNode):
            return self._build_mapping(node, path)
        if isinstance(node, SequenceNode):
            self._check_tag(node, path, {_SEQUENCE_TAG})
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._build_scalar(node, path)

    def _build_scalar(self, node: Node, path: Path) -> Any:
        if node.tag in _PLAIN_SCALAR_TAGS:
            return self._loader.construct_object(node)
        self._check_tag(node, path, {_TIMESTAMP_TAG})
        return node.value

    def _build_mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        self._check_tag(node, path, {_MAPPING_TAG})
        if id(node) not in self._checked_mappings:
            self._checked_mappings.add(id(node))
            self._report_duplicate_keys(node, path)
            try:
                self._loader.flatten_mapping(node)  # resolves ``<<`` merge keys in place
            except ConstructorError as error:
                self._add(node, path, f"invalid merge key: {error.problem}")
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._add(
                    key_node, path, "a mapping key must be a plain word, not a list or mapping"
                )
                continue
            # Keys stay the text written: ``on:`` is the key "on", not the boolean true.
            mapping[key_node.value] = self.build(value_node, (*path, key_node.value))
        return mapping

    def _report_duplicate_keys(self, node: MappingNode, path: Path) -> None:
        first_lines: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _TAG + "merge":
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in first_lines:
                self._add(
                    key_node,
                    (*path, key_node.value),
                    f"duplicate key '{key_node.value}': already given on line "
                    f"{first_lines[key_node.value]}; keep one",
                )
            else:
                first_lines[key_node.value] = line

    def _check_tag(self, node: Node, path: Path, allowed: set[str]) -> None:
        if node.tag not in allowed:
            tag = node.tag.replace(_TAG, "!!", 1)
            self._add(node, path, f"unsupported YAML tag '{tag}': write a plain value")

    def _add(self, node: Node, path: Path, message: str) -> None:
        line, column = _position(node)
        value = node.value if isinstance(node, ScalarNode) else None
        self.issues.append(ConfigIssue(format_path(path), message, value, line, column))


def _child(node: Node, part: str | int) -> tuple[Node | None, Node] | None:
    """The ``(key node, value node)`` under ``part``; the last equal key wins, as when building."""
    if isinstance(node, MappingNode) and isinstance(part, str):
        for key_node, value_node in reversed(node.value):
            if isinstance(key_node, ScalarNode) and key_node.value == part:
                return key_node, value_node
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _syntax_issue(error: yaml.MarkedYAMLError) -> ConfigIssue:
    message = f"invalid YAML: {error.problem or error.context}"
    if error.problem and error.context and error.context_mark is not None:
        context = f"{error.context} (line {error.context_mark.line + 1})"
        message = f"invalid YAML: {context}, {error.problem}"
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return ConfigIssue("", message)
    return ConfigIssue("", message, None, mark.line + 1, mark.column + 1)


def _reader_issue(error: ReaderError, text: str) -> ConfigIssue:
    """A character YAML does not allow (a NUL, a stray control byte), located in ``text``."""
    line = text.count("\n", 0, error.position) + 1
    column = error.position - text.rfind("\n", 0, error.position)
    character = error.character if isinstance(error.character, int) else ord(error.character)
    message = f"invalid YAML: character #x{character:04x} is not allowed; remove it"
    return ConfigIssue("", message, None, line, column)
