"""Read YAML into plain values, and find the line and column of any path when an issue needs it.

PyYAML's loaders throw positions away and silently keep the last of two equal keys; composing
the node tree keeps positions but costs about 3 KB per target, all alive at once, and the
allocator keeps that high-water mark for the life of the process (docs/performance.md).
So values are built straight from the parser's events (mappings, lists, strings, numbers,
booleans, null), checking keys and tags on the way, and the node tree is composed from the
text only when an issue has to be located: a clean 20,000-target file never builds it.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.error import Mark
from yaml.events import (
    AliasEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from pulse_core.config.errors import ConfigError, ConfigIssue, Path, format_path
from pulse_core.config.limits import NAME_MAX_CHARS, TEXT_MAX_CHARS, shown

if TYPE_CHECKING:
    from pulse_core.config.budget import Budget

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_STR_TAG = _TAG + "str"
_INT_TAG = _TAG + "int"
_PLAIN_SCALAR_TAGS = {_TAG + name for name in ("null", "bool", "int", "float", "str")}
#: kept as written: a date in a monitoring configuration is text, not a ``datetime``
_TIMESTAMP_TAG = _TAG + "timestamp"
_MERGE_TAG = _TAG + "merge"
_MAPPING_TAG = _TAG + "map"
_SEQUENCE_TAG = _TAG + "seq"

_SharedT = TypeVar("_SharedT", str, int)

#: values built (mappings, lists and scalars), counting every use of an alias as the values
#: it repeats: bounds the memory of a large file and stops "billion laughs" documents early
MAX_VALUES = 1_000_000
#: mappings and lists inside one another; a configuration needs about six, and building
#: values recurses once per level, so a deeper document would exhaust Python's stack
MAX_DEPTH = 64
#: values built between two looks at the budget
_BUDGET_EVERY = 4096


@dataclass
class ListMarks:
    """Where each item of one block-style list is in the text, recorded while parsing (see
    ``parse_yaml(marked=...)``): what lets a write find and re-read a single ``targets[]``
    entry without parsing the rest of the file again."""

    #: index of each item's first character (its content, after the dash)
    starts: array[int] = field(default_factory=lambda: array("I"))
    #: index just past each item's last scalar or flow collection
    ends: array[int] = field(default_factory=lambda: array("I"))
    #: values built for each item (:data:`MAX_VALUES` counts them)
    values: array[int] = field(default_factory=lambda: array("I"))
    #: whether the list is written in flow style (``[...]``)
    flow: bool = False


@dataclass
class StandIns:
    """Runs of items of one block-style list that the text to parse holds as one placeholder
    each: a plain scalar tagged :attr:`tag` whose text names the run. The reader puts the
    run's items in its place, counted as the values they stand for, and takes the run out
    of :attr:`runs`; a placeholder found anywhere else is an unsupported tag like any other.
    (How :mod:`pulse_core.config.reuse` skips reading again what it read before.)"""

    #: the list's path
    path: Path
    #: a tag no file carries
    tag: str
    #: placeholder text → (the items it stands for, the values each counts for)
    runs: dict[str, tuple[list[Any], array[int]]]


@dataclass
class YamlDocument:
    """A parsed document: its values, its text, and the problems found while reading it."""

    value: Any
    text: str
    issues: list[ConfigIssue] = field(default_factory=list)
    #: the marks of the list asked for, if the document has it
    marks: ListMarks | None = None
    #: values built in all, every use of an alias counted as the values it repeats
    values: int = 0
    #: whether the document has an anchor or an alias anywhere
    anchored: bool = False
    #: the column of the first key of the first block mapping under the root, if any
    mapping_indent: int | None = None
    #: whether a text value holds a ``$`` (a ``${VAR}`` reference, perhaps)
    dollars: bool = True
    _root: Node | None = field(default=None, init=False, repr=False)
    _flattened: set[int] = field(default_factory=set, init=False, repr=False)

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
        node = self._tree()
        if node is None:
            return None
        key_node: Node | None = None
        for part in path:
            if isinstance(node, MappingNode):
                self._flatten(node)
            child = _child(node, part)
            if child is None:
                return _position(node)
            key_node, node = child
        return _position(key_node if at_key and key_node is not None else node)

    def _tree(self) -> Node | None:
        """The node tree, composed on the first call (the text parsed cleanly once already)."""
        if self._root is None and self.text.strip():
            loader = _Loader(self.text)
            try:
                self._root = loader.get_single_node()
            finally:
                loader.dispose()
        return self._root

    def _flatten(self, node: MappingNode) -> None:
        """Resolve ``<<`` merge keys in place, so a merged key is found where it was written."""
        if id(node) not in self._flattened:
            self._flattened.add(id(node))
            try:
                _Loader("").flatten_mapping(node)
            except ConstructorError:
                pass  # reported as an issue while the values were built


def parse_yaml(
    text: str, source_name: str, budget: Budget | None = None, *, marked: Path | None = None,
    depth: int = 0, stand_ins: StandIns | None = None,
) -> YamlDocument:
    """Parse ``text``; a syntax error raises :class:`ConfigError` since nothing else can be
    read, and so does a ``budget`` spent. The items of the list at path ``marked`` are
    located (``YamlDocument.marks``; an item put in by ``stand_ins`` is marked at 0, its
    place known to whoever wrote the placeholder); ``depth`` counts levels the text is
    nested in (a fragment of a larger document) towards :data:`MAX_DEPTH`."""
    loader = _Loader(text)
    try:
        builder = _ValueBuilder(loader, source_name, budget, marked)
        builder.depth = depth
        builder.stand_ins = stand_ins
        value = builder.single_document()
        return YamlDocument(
            value, text, builder.issues, builder.marks, builder.built,
            bool(builder.anchor_marks), builder.mapping_indent, builder.dollars,
        )
    except yaml.MarkedYAMLError as error:
        raise ConfigError([_syntax_issue(error)], source_name) from error
    except ReaderError as error:
        raise ConfigError([_reader_issue(error, text)], source_name) from error
    finally:
        loader.dispose()


class _ValueBuilder:
    """Builds values from parser events, the way PyYAML's composer and safe constructor would
    (the same tags, merge keys and aliases), reporting what Pulse refuses as issues."""

    def __init__(
        self, loader: Any, source_name: str, budget: Budget | None, marked: Path | None = None
    ) -> None:
        self._loader = loader
        self._source_name = source_name
        self._budget = budget
        self.built = 0
        #: whether an alias repeated values, for the message when there are too many
        self._repeated = False
        self.depth = 0
        #: anchor → (its value, how many values it counts for when used through an alias)
        self._anchors: dict[str, tuple[Any, int]] = {}
        self.anchor_marks: dict[str, Mark] = {}
        self._marked = marked
        self.marks: ListMarks | None = None
        self.stand_ins: StandIns | None = None
        self.mapping_indent: int | None = None
        #: where the last scalar, alias or flow collection read ends
        self._content_end = 0
        #: every distinct text and integer once: 20,000 targets share one "type", one "icmp",
        #: one "group", and the 8,000 written ``port: 8080`` one 8080 (see :meth:`_shared`)
        self._values: dict[str | int, str | int] = {}
        #: the tag of each plain text read (see :meth:`_scalar_tag`)
        self._plain_tags: dict[str, str] = {}
        #: whether a text value holds a ``$``: without one there is nothing to substitute
        self.dollars = False
        self.issues: list[ConfigIssue] = []

    def single_document(self) -> Any:
        """The one document's value, ``None`` for an empty stream."""
        loader = self._loader
        loader.get_event()  # stream start
        if loader.check_event(StreamEndEvent):
            return None
        start = loader.get_event()  # document start
        value = self._node(())
        loader.get_event()  # document end
        if not loader.check_event(StreamEndEvent):
            raise ComposerError(
                "expected a single document in the stream", start.start_mark,
                "but found another document", loader.get_event().start_mark,
            )
        return value

    def _node(self, path: Path) -> Any:
        event = self._loader.get_event()
        if event.anchor is not None:  # an alias, or a value with an anchor
            return self._anchored(event, path)
        return self._value(event, path)

    def _value(self, event: Event, path: Path) -> Any:
        """The value ``event`` starts, counted."""
        # ``_count(1, ...)`` written out: this runs for every value of the document
        built = self.built + 1
        if self._budget is not None and built % _BUDGET_EVERY == 0:
            self._budget.check()
        self.built = built
        if built > MAX_VALUES:
            self._too_many(event.start_mark)
        if type(event) is ScalarEvent:
            return self._scalar(event, path)
        self._enter(event.start_mark)
        if type(event) is SequenceStartEvent:
            value: Any = self._sequence(event, path)
        else:
            value = self._mapping(event, path)
        self.depth -= 1
        return value

    def _anchored(self, event: Event, path: Path) -> Any:
        if isinstance(event, AliasEvent):
            return self._alias(event)
        anchor = event.anchor
        if anchor in self.anchor_marks:
            raise ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                self.anchor_marks[anchor], "second occurrence", event.start_mark,
            )
        self.anchor_marks[anchor] = event.start_mark
        built_before = self.built
        value = self._value(event, path)
        self._anchors[anchor] = (value, self.built - built_before)
        return value

    def _alias(self, event: AliasEvent) -> Any:
        """The anchored value itself, shared: nothing downstream changes values in place."""
        if event.anchor not in self._anchors:
            problem = (
                "found an alias to an anchor that contains it"
                if event.anchor in self.anchor_marks
                else f"found undefined alias {event.anchor!r}"
            )
            raise ComposerError(None, None, problem, event.start_mark)
        value, size = self._anchors[event.anchor]
        self._repeated = True
        self._content_end = event.end_mark.index
        self._count(size, event.start_mark)
        return value

    def _count(self, values: int, mark: Mark) -> None:
        if self._budget is not None and self.built // _BUDGET_EVERY != (
            self.built + values
        ) // _BUDGET_EVERY:
            self._budget.check()
        self.built += values
        if self.built > MAX_VALUES:
            self._too_many(mark)

    def _too_many(self, mark: Mark) -> None:
        through = ", each alias counted as the values it repeats" if self._repeated else ""
        self._stop(
            mark,
            f"the document has more than {MAX_VALUES:,} values (mappings, lists and "
            f"scalars{through}), the most a configuration may hold: write fewer (a cidr "
            "target instead of one target per address, say)",
        )

    def _enter(self, mark: Mark) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self._stop(
                mark,
                f"mappings and lists are nested deeper than {MAX_DEPTH} levels here; "
                "a configuration needs far fewer: flatten it",
            )

    def _stop(self, mark: Mark, message: str) -> None:
        """Stop reading: what follows cannot be read within the document's limits."""
        issue = ConfigIssue("", message, None, mark.line + 1, mark.column + 1)
        raise ConfigError([issue], self._source_name)

    def _scalar(self, event: ScalarEvent, path: Path) -> Any:
        self._content_end = event.end_mark.index
        if len(event.value) > TEXT_MAX_CHARS:
            self._add(
                event.start_mark, path,
                f"a value may be at most {TEXT_MAX_CHARS:,} characters; "
                f"this one has {len(event.value):,}", event.value,
            )
        tag = self._scalar_tag(event)
        if tag == _STR_TAG:
            self.dollars = self.dollars or "$" in event.value
            return self._shared(event.value)
        if tag in _PLAIN_SCALAR_TAGS:
            loader = self._loader
            value = loader.yaml_constructors[tag](loader, ScalarNode(tag, event.value))
            return self._shared(value) if tag == _INT_TAG else value
        if tag != _TIMESTAMP_TAG:
            self._refuse_tag(tag, event, path)
        self.dollars = self.dollars or "$" in event.value
        return event.value

    def _shared(self, value: _SharedT) -> _SharedT:
        """``value``, or the equal one built before: the values outlive the parse (the loaded
        configuration keeps them), and a copy per target costs 28 bytes for an int above 256
        (CPython caches the smaller ones) and 50 or more for a text.

        Texts and ints share one table because no text equals an int. Booleans and floats
        stay out of it: ``True == 1`` and ``0.0 == -0.0`` would hand back the other one."""
        return self._values.setdefault(value, value)  # type: ignore[return-value]

    def _sequence(self, event: SequenceStartEvent, path: Path) -> list[Any]:
        tag = self._resolved_tag(event, SequenceNode, None)
        if tag != _SEQUENCE_TAG:
            self._refuse_tag(tag, event, path)
        items: list[Any] = []
        marks = None
        if path == self._marked:
            marks = self.marks = ListMarks(flow=bool(event.flow_style))
        stand_ins = self.stand_ins if self.stand_ins and path == self.stand_ins.path else None
        while not self._loader.check_event(SequenceEndEvent):
            if stand_ins is not None and self._stood_in(stand_ins, items, marks):
                continue
            if marks is not None:
                start, built = self._loader.peek_event().start_mark.index, self.built
            items.append(self._node((*path, len(items))))
            if marks is not None:
                marks.starts.append(start)
                marks.ends.append(self._content_end)
                marks.values.append(self.built - built)
        end = self._loader.get_event()
        if event.flow_style:
            self._content_end = end.end_mark.index
        return items

    def _stood_in(self, stand_ins: StandIns, items: list[Any], marks: ListMarks | None) -> bool:
        """Whether the next event is a placeholder of ``stand_ins``, then read as the items
        it stands for."""
        event = self._loader.peek_event()
        if type(event) is not ScalarEvent or event.tag != stand_ins.tag:
            return False
        run = stand_ins.runs.pop(event.value, None)
        if run is None:
            return False
        self._loader.get_event()
        entries, values = run
        items.extend(entries)
        if marks is not None:
            unplaced = array("I", [0]) * len(entries)
            marks.starts.extend(unplaced)
            marks.ends.extend(unplaced)
            marks.values.extend(values)
        self._count(sum(values), event.start_mark)
        return True

    def _mapping(self, event: MappingStartEvent, path: Path) -> dict[str, Any]:
        tag = self._resolved_tag(event, MappingNode, None)
        if tag != _MAPPING_TAG:
            self._refuse_tag(tag, event, path)
        loader = self._loader
        if len(path) == 1 and self.mapping_indent is None and not event.flow_style:
            if isinstance(first := loader.peek_event(), ScalarEvent):
                self.mapping_indent = first.start_mark.column
        mapping: dict[str, Any] = {}
        merged: list[Any] = []
        first_lines: dict[str, int] = {}
        while not loader.check_event(MappingEndEvent):
            key_event = loader.peek_event()
            if not isinstance(key_event, ScalarEvent):
                self._add(
                    key_event.start_mark, path,
                    "a mapping key must be a plain word, not a list or mapping",
                )
                self._node(path)  # the key
                self._node(path)  # its value
                continue
            loader.get_event()
            key = self._shared(key_event.value)
            if len(key) > NAME_MAX_CHARS:
                self._add(
                    key_event.start_mark, path,
                    f"a key may be at most {NAME_MAX_CHARS} characters; "
                    f"this one has {len(key):,}", key,
                )
                key = str(shown(key))  # later messages name it
            # only ``<<`` or a tag can make a merge key: most keys need no resolving
            if (key == "<<" or key_event.tag is not None) and self._scalar_tag(
                key_event
            ) == _MERGE_TAG:
                merged.append(self._node((*path, key)))
                continue
            # Keys stay the text written: ``on:`` is the key "on", not the boolean true.
            line = key_event.start_mark.line + 1
            if key in first_lines:
                self._add(
                    key_event.start_mark, (*path, key),
                    f"duplicate key '{key}': already given on line {first_lines[key]}; keep one",
                    key,
                )
            else:
                first_lines[key] = line
            mapping[key] = self._node((*path, key))
        end = loader.get_event()
        if event.flow_style:
            self._content_end = end.end_mark.index
        if not merged:
            return mapping
        return {**self._merge(merged, event.start_mark, path), **mapping}

    def _merge(self, merged: list[Any], mark: Mark, path: Path) -> dict[str, Any]:
        """What ``<<`` keys bring in, as the YAML merge key type says: a key from an earlier
        mapping (in a list, or under an earlier ``<<``) wins over a later one, and explicit
        keys (added by the caller) win over all."""
        result: dict[str, Any] = {}
        for value in merged:
            sources = value if isinstance(value, list) else [value]
            wrong = [source for source in sources if not isinstance(source, dict)]
            if wrong:
                expected = "a mapping" if isinstance(value, list) else "a mapping or list of mappings"
                self._add(
                    mark, path, f"invalid merge key: expected {expected} for merging, "
                    f"but found {_kind(wrong[0])}",
                )
                continue
            for source in sources:
                for key, item in source.items():
                    result.setdefault(key, item)
        return result

    def _resolved_tag(self, event: Any, kind: type[Node], value: str | None) -> str:
        tag: str | None = event.tag
        if tag is None or tag == "!":
            return str(self._loader.resolve(kind, value, event.implicit))
        return tag

    def _scalar_tag(self, event: ScalarEvent) -> str:
        """:meth:`_resolved_tag` of a scalar, each plain text resolved once: resolving tries
        a few patterns, and a file repeats most of its texts (keys, types, groups, ports)."""
        if event.tag is not None or not event.implicit[0]:
            return self._resolved_tag(event, ScalarNode, event.value)
        tag = self._plain_tags.get(event.value)
        if tag is None:
            tag = self._plain_tags[event.value] = self._resolved_tag(
                event, ScalarNode, event.value
            )
        return tag

    def _refuse_tag(self, tag: str, event: Event, path: Path) -> None:
        shown = tag.replace(_TAG, "!!", 1)
        value = event.value if isinstance(event, ScalarEvent) else None
        self._add(event.start_mark, path, f"unsupported YAML tag '{shown}': write a plain value", value)

    def _add(self, mark: Mark, path: Path, message: str, value: Any = None) -> None:
        self.issues.append(
            ConfigIssue(format_path(path), message, shown(value), mark.line + 1, mark.column + 1)
        )


def _kind(value: Any) -> str:
    return "mapping" if isinstance(value, dict) else "sequence" if isinstance(value, list) else "scalar"


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
