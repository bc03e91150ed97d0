"""A whole load that takes the ``targets[]`` entries it read before as they were.

An apply that changes anything outside the targets list (a group renamed, a default
changed) loads the whole text; at 10,000 targets reading and checking every entry again took
most of it. But most entries are, byte for byte, entries of the configuration loaded last,
which is still in use: the layout read with it (:mod:`pulse_core.config.layout`) knows each
entry's digest, the endpoints it made, and which settings it gives itself.

So a whole load first finds those entries in the new text by their lines
(:mod:`pulse_core.config.chunks`) and hands the YAML reader a *skeleton*: the text with each
run of such entries written as one placeholder, which the reader puts back as the run's
entries (:class:`~pulse_core.config.yaml_source.StandIns`). That the placeholders are read
as items of ``targets`` and nowhere else shows the entries stand where entries stand; their
text being what was read before, they mean what they meant. Everything else is read and
checked as in any load; an unchanged entry keeps its endpoints, made again only where the
new defaults or groups change them (:class:`~pulse_core.config.endpoints.Context`).

Anything unusual sends the caller to the ordinary load: a placeholder not read where it
should be, a group gone, and every problem at all, which that load reports with its line and
column as always.
"""

from __future__ import annotations

import bisect
import secrets
from array import array
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pulse_core.config.chunks import DIGEST_SIZE, NO_DIGEST, chunks, digest, plain_lines
from pulse_core.config.endpoints import INHERITED_KEYS, Context
from pulse_core.config.groups import inherited_sites
from pulse_core.config.layout import TargetLayout
from pulse_core.config.model import DefaultsSection, PulseConfig
from pulse_core.config.targets import UnchangedEntry
from pulse_core.config.yaml_source import StandIns

#: the placeholders' tag: no file holds it, since it differs in every process
TAG = f"!pulse-unchanged-{secrets.token_hex(8)}"
#: the targets list, where placeholders stand
_TARGETS = ("targets",)


@dataclass(frozen=True)
class Skeleton:
    """A text with runs of its unchanged ``targets`` entries written as placeholders."""

    #: the skeleton, what the YAML reader reads
    text: str
    stand_ins: StandIns
    #: the configuration the entries are unchanged from, and its layout
    previous: PulseConfig
    layout: TargetLayout
    #: where each piece of :attr:`text` copied from the file starts, in :attr:`text` and in
    #: the file
    copied_at: array[int]
    copied_from: array[int]

    def position(self, index: int) -> int:
        """The index in the file of ``index`` in :attr:`text` (outside placeholders)."""
        piece = bisect.bisect_right(self.copied_at, index) - 1
        return self.copied_from[piece] + index - self.copied_at[piece]

    def read_whole(self) -> bool:
        """Whether the reader put every placeholder back where it belongs."""
        return not self.stand_ins.runs

    def settle(
        self, targets: list[Any], group_ids: Collection[str], defaults: DefaultsSection,
        group_sites: Mapping[str, str],
    ) -> bool:
        """Give each :class:`UnchangedEntry` of ``targets`` its endpoints under the new
        ``defaults`` and groups; ``False`` when one cannot have them (its group is gone, its
        range is now larger than ``defaults.max_addresses_per_target``): the ordinary load
        says why."""
        layout, endpoints = self.layout, self.previous.endpoints
        firsts = layout.first_endpoint
        same_context = _inherited(self.previous.defaults) == _inherited(defaults) and (
            inherited_sites(self.previous.groups) == group_sites
        )
        context = None if same_context else Context(defaults, group_sites)
        for target in targets:
            if type(target) is not UnchangedEntry:
                continue
            was = target.previous
            made = endpoints[firsts[was]:firsts[was + 1]]
            if not made or made[0].group_id not in group_ids or (
                was in layout.ranges and len(made) > defaults.max_addresses_per_target
            ):
                return False
            if context is None:
                target.endpoints = made
            else:
                own = layout.own[was]
                target.endpoints = tuple(context.settled(endpoint, own) for endpoint in made)
        return True


def skeleton(text: str, previous: PulseConfig, layout: TargetLayout) -> Skeleton | None:
    """``text`` with the entries it shares with ``previous`` (whose layout is ``layout``)
    as placeholders, a run of consecutive ones each; ``None`` when it has none."""
    if not plain_lines(text):
        return None
    digests = layout.digests
    known = {
        digests[at:at + DIGEST_SIZE]: index
        for index, at in enumerate(range(0, len(digests), DIGEST_SIZE))
    }
    known.pop(NO_DIGEST, None)
    runs: list[tuple[list[UnchangedEntry], int]] = []
    for start, end, stop in chunks(text, layout.dash_column):
        # an entry is taken once: a copy of it is read, and reported as a duplicate
        index = known.pop(digest(text[start:end]), None)
        if index is None:
            continue
        entry = UnchangedEntry(index, start, end)
        if runs and runs[-1][1] == start:
            runs[-1][0].append(entry)
            runs[-1] = (runs[-1][0], stop)
        else:
            runs.append(([entry], stop))
    if not runs:
        return None
    pieces: list[str] = []
    stood_in: dict[str, tuple[list[Any], array[int]]] = {}
    copied_at, copied_from = array("Q"), array("Q")
    at = copied = 0
    indent = " " * layout.dash_column
    for number, (entries, stop) in enumerate(runs):
        copied_at.append(at)
        copied_from.append(copied)
        piece = text[copied:entries[0].start]
        placeholder = f"{indent}- {TAG} {number}\n"
        pieces += (piece, placeholder)
        at += len(piece) + len(placeholder)
        stood_in[str(number)] = (
            list(entries), array("I", (layout.values[entry.previous] for entry in entries))
        )
        copied = stop
    copied_at.append(at)
    copied_from.append(copied)
    pieces.append(text[copied:])
    return Skeleton(
        "".join(pieces), StandIns(_TARGETS, TAG, stood_in), previous, layout, copied_at,
        copied_from,
    )


def _inherited(defaults: DefaultsSection) -> tuple[Any, ...]:
    """What of ``defaults`` endpoints inherit (``site`` comes from groups)."""
    return tuple(getattr(defaults, key) for key in INHERITED_KEYS if key != "site")
