"""Where each ``targets[]`` entry of the running text is, and which endpoints it made.

A write of one target (the endpoint write API, or an apply that changes a few targets)
must not parse and validate 10,000 others again. It needs, for the running text: the span
of every entry (to cut one out, or to know which entries a new text changed), which
endpoints each entry made (to swap just those), and whether the document has what makes
an entry depend on text outside it (anchors and aliases, ``depends_on``). That is this
layout: a few integers per target, kept beside the running configuration and valid for the
one text whose SHA-256 it carries (the text itself stays in the store, see
``PulseConfig.source_sha256``). A whole load (:mod:`pulse_core.config.reuse`) also needs
each entry's digest and which settings it gives itself, to take the entries it read before
as they were: 33 bytes per target in all.

Every load reads the layout of its text while it parses (about 50 ms of a 20,000-target
load) and keeps it for as long as its configuration is in use (:func:`remember`).
"""

from __future__ import annotations

import bisect
import dataclasses
import os
import threading
import weakref
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulse_core.config.chunks import (
    DIGEST_SIZE,
    NO_DIGEST,
    digest,
    plain_lines,
    self_contained,
)
from pulse_core.config.editing import (
    LocatedTargets,
    TargetRef,
    endpoint_targets,
    entry_start,
    line_end,
)
from pulse_core.config.endpoints import own_settings
from pulse_core.config.env import substitute_env
from pulse_core.config.errors import IssueCollector, Path
from pulse_core.config.expand import cidr_range, wildcard_range
from pulse_core.config.model import PulseConfig, text_sha256
from pulse_core.config.targets import ADDRESS_KEYS, UnchangedEntry
from pulse_core.config.yaml_source import YamlDocument, parse_yaml
from pulse_core.probe import Probe

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
    #: :func:`~pulse_core.config.chunks.digest` of each entry's text, ``DIGEST_SIZE`` bytes
    #: each (``NO_DIGEST`` for one a whole load reads again every time): how a later whole
    #: load knows an entry unchanged (:mod:`pulse_core.config.reuse`)
    digests: bytes
    #: which inherited settings each entry gives itself (``endpoints.own_settings``)
    own: array[int]

    def digest(self, index: int) -> bytes:
        return self.digests[index * DIGEST_SIZE:(index + 1) * DIGEST_SIZE]

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
    ``config``'s. The layout read while ``config`` was loaded, if it is still known; else
    ``text`` is parsed again."""
    if text_sha256(text) != config.source_sha256:
        return None
    known = _RECENT.layout(config)
    if known is not None:
        return known
    document = parse_yaml(text, "<config>", marked=("targets",))
    return read_layout(config, text, document, environ)


def read_layout(
    config: PulseConfig, text: str, document: YamlDocument,
    environ: Mapping[str, str] | None = None, previous: TargetLayout | None = None,
    position: Callable[[int], int] | None = None,
) -> TargetLayout | None:
    """The layout of ``text`` as ``document`` read it (``marked=("targets",)``), ``config``
    loaded from it. ``document`` may have read another text, one that holds some entries
    as placeholders (``previous``'s entries, :class:`UnchangedEntry` in the values) and the
    rest of ``text`` as it is, ``position`` mapping its indexes to ``text``'s."""
    marks = document.marks
    if marks is None or marks.flow or not marks.starts or not isinstance(document.value, dict):
        return None
    targets = document.value["targets"]
    first = targets[0]
    if type(first) is UnchangedEntry:
        first_line = first.start
        dash_column = text.index("-", first_line) - first_line
        content_column = _content_column(text, first_line + dash_column + 1)
    else:
        content_start = marks.starts[0] if position is None else position(marks.starts[0])
        first_line = entry_start(text, content_start)
        dash_column = text.index("-", first_line) - first_line
        content_column = content_start - (text.rfind("\n", 0, content_start) + 1)
    # Digests only of a text whose lines are YAML's, and without anchors: an entry of such
    # a text means what its own text says (see :mod:`pulse_core.config.chunks`).
    digested = not document.anchored and plain_lines(text)
    starts, ends, own = array("I"), array("I"), array("B")
    first_endpoint = array("I", [0])
    ranges: dict[int, TargetRef] = {}
    digests = bytearray()
    dependent = False
    for index, target in enumerate(targets):
        if type(target) is UnchangedEntry:
            assert previous is not None, "placeholders stand for a previous layout's entries"
            was = target.previous
            starts.append(target.start)
            ends.append(target.end)
            count = previous.first_endpoint[was + 1] - previous.first_endpoint[was]
            if (ref := previous.ranges.get(was)) is not None:
                ranges[index] = dataclasses.replace(ref, index=index)
            digests += previous.digest(was)
            own.append(previous.own[was])
        else:
            content_start, content_end = marks.starts[index], marks.ends[index]
            if position is not None:
                content_start, content_end = position(content_start), position(content_end)
            start = entry_start(text, content_start)
            end = line_end(text, content_end)
            starts.append(start)
            ends.append(end)
            # most entries name a host: one endpoint, no range to read
            if "cidr" in target or "wildcard" in target:
                count, ranged = _counted(document, target, ("targets", index), index, environ)
                if ranged is not None:
                    ranges[index] = ranged
            else:
                count = 1
            dependent = dependent or not target.keys().isdisjoint(DEPENDENCY_KEYS)
            digests += (
                entry_digest(text, start, end, target) if digested else NO_DIGEST
            )
            own.append(own_settings(target))
        first_endpoint.append(first_endpoint[-1] + count)
    if first_endpoint[-1] != len(config.endpoints):
        return None
    groups = document.value.get("groups")
    dependent = dependent or any(
        isinstance(entry, dict) and any(key in entry for key in DEPENDENCY_KEYS)
        for entry in (groups if isinstance(groups, list) else ())
    )
    return TargetLayout(
        sha256=config.source_sha256,
        starts=starts,
        ends=ends,
        values=marks.values,
        first_endpoint=first_endpoint,
        ranges=ranges,
        total_values=document.values,
        dash_column=dash_column,
        content_offset=max(content_column - dash_column, 2),
        mapping_indent=max(document.mapping_indent or 2, 1),
        entangled=document.anchored or dependent,
        digests=bytes(digests),
        own=own,
    )


def entry_digest(text: str, start: int, end: int, target: Any) -> bytes:
    """The digest of the entry ``text[start:end]`` (its whole text, as a parse found it) if
    a later whole load may take an entry of the same text as this one, else ``NO_DIGEST``:
    what it means must not depend on the rest of the file or on the environment."""
    if not isinstance(target, dict) or not target.keys().isdisjoint(DEPENDENCY_KEYS):
        return NO_DIGEST
    entry = text[start:end]
    return digest(entry) if self_contained(entry) else NO_DIGEST


def _content_column(text: str, after_dash: int) -> int:
    """The column of the first thing after a dash at ``after_dash - 1``: on the dash's line,
    or else on the first line after it that is neither blank nor a comment."""
    line_start = text.rfind("\n", 0, after_dash) + 1
    position = after_dash
    while True:
        while position < len(text) and text[position] in " \t":
            position += 1
        if position < len(text) and text[position] not in "#\r\n":
            return position - line_start
        line_start = position = text.find("\n", position) + 1
        if line_start == 0:
            return after_dash - line_start


def endpoint_counts(
    document: YamlDocument, targets: list[Any], path: Path,
    environ: Mapping[str, str] | None = None,
) -> list[int]:
    """How many endpoints each of ``targets`` (valid entries) makes."""
    return [
        _counted(document, target, (*path, index), index, environ)[0]
        for index, target in enumerate(targets)
    ]


def ranges_of(
    document: YamlDocument, targets: list[Any], path: Path, first_index: int,
    environ: Mapping[str, str] | None = None,
) -> dict[int, TargetRef]:
    """The ``cidr``/``wildcard`` entries of ``targets``, numbered from ``first_index``."""
    found: dict[int, TargetRef] = {}
    for index, target in enumerate(targets):
        _, ranged = _counted(document, target, (*path, index), first_index + index, environ)
        if ranged is not None:
            found[first_index + index] = ranged
    return found


def _counted(
    document: YamlDocument, target: dict[str, Any], path: Path, index: int,
    environ: Mapping[str, str] | None,
) -> tuple[int, TargetRef | None]:
    """How many endpoints the valid entry ``target`` makes, and if it is a range, where
    its endpoints come from (it being ``targets[index]``)."""
    key, address = _address(document, target, path, environ)
    if key == "host":
        return 1, None
    return _range_size(key, address), TargetRef(index, key, address)


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


class _Recent:
    """The layouts of the configurations loaded lately, for as long as each configuration
    is in use (a weak reference: one replaced is forgotten), with the probe classes its
    endpoints were made with. A whole load reads them to take the entries it knows as
    unchanged, and the write API to find entries without parsing the text again."""

    #: configurations remembered at most: the running one, and one being applied or tried
    KEPT = 3

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: list[tuple[weakref.ref[PulseConfig], TargetLayout, dict[str, type[Probe]]]] = []

    def remember(
        self, config: PulseConfig, layout: TargetLayout, probes: Mapping[str, type[Probe]]
    ) -> None:
        used = {endpoint.type for endpoint in config.endpoints}
        entry = (weakref.ref(config), layout, {name: probes[name] for name in used})
        with self._lock:
            self._known = [*self._alive(), entry][-self.KEPT:]

    def layout(self, config: PulseConfig) -> TargetLayout | None:
        with self._lock:
            self._known = self._alive()
            return next((layout for ref, layout, _ in self._known if ref() is config), None)

    def latest(
        self, probes: Mapping[str, type[Probe]]
    ) -> tuple[PulseConfig, TargetLayout] | None:
        """The configuration loaded last that is still in use, with its layout, if its
        endpoints' probe classes are ``probes``' too."""
        with self._lock:
            self._known = self._alive()
            known = self._known[-1] if self._known else None
        if known is None:
            return None
        ref, layout, used = known
        config = ref()
        if config is None or any(probes.get(name) is not probe for name, probe in used.items()):
            return None
        return config, layout

    def _alive(self) -> list[tuple[weakref.ref[PulseConfig], TargetLayout, dict[str, type[Probe]]]]:
        return [known for known in self._known if known[0]() is not None]


_RECENT = _Recent()
remember = _RECENT.remember
latest_known = _RECENT.latest
