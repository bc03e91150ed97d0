"""Every endpoint's state in columns: an array per field, a slot per endpoint.

An object per endpoint, with its floats, its latest ``CheckResult`` and a ring of recent
checks of its own, kept about 450 bytes at 20,000 endpoints, where the goal (docs/performance.md) is 1 KB
per endpoint for everything; the same numbers in arrays take under 100, and a counter past
256 no longer makes an int object per endpoint at every check. What most endpoints never
have (an open outage, an error, flips in the flapping window) is kept by slot in dicts.

The table is the ``Mapping[str, EndpointState]`` the monitor hands out: a state is a view
of its slot, made when asked for. A new configuration gets a new table, its kept endpoints
copied over, so a view taken before stays consistent with the table it was taken from.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass
from typing import TypeVar, overload

from pulse_core.engine.state import RECENT_CHECKS, EndpointState
from pulse_core.id_index import IdIndex
from pulse_core.models import Endpoint, Outage

T = TypeVar("T")

#: the columns of one value per slot, copied as they are when an endpoint stays
_COLUMNS = (
    "state", "state_since", "last_status", "last_ts", "last_rtt_ms", "last_had_error",
    "run_status", "run_length", "run_started", "checks_up", "checks_down", "recent_since",
    "recent_next", "recent_length",
)  # fmt: skip


class StateTable(Mapping[str, EndpointState]):
    def __init__(self, endpoints: Sequence[Endpoint], previous: StateTable | None = None) -> None:
        size = len(endpoints)
        self.endpoints = tuple(endpoints)
        #: id → slot (a dict of them took 48 bytes an endpoint)
        self._slots = IdIndex((endpoint.id, slot) for slot, endpoint in enumerate(self.endpoints))
        #: the slot of an id, ``None`` when it has none: the index's own lookup, one call for
        #: every check taken in
        self.slot_of = self._slots.find
        #: ``state.STATES`` codes
        self.state = bytearray(size)
        #: NaN: none, in every float column
        self.state_since = _floats(size)
        #: ``state.RUN_STATUSES`` codes (0: no check yet)
        self.last_status = bytearray(size)
        self.last_ts = _floats(size)
        self.last_rtt_ms = _floats(size)
        self.last_had_error = bytearray(size)
        #: the current run of equal outcomes: ``state.RUN_STATUSES`` code, length, start
        self.run_status = bytearray(size)
        self.run_length = array("I", [0]) * size
        self.run_started = _floats(size)
        #: 32 bits: 136 years of checks at one a second
        self.checks_up = array("I", [0]) * size
        self.checks_down = array("I", [0]) * size
        #: each slot's ring of recent checks (``EndpointState._remember``): the second of
        #: its oldest check, ``RECENT_CHECKS`` entries from ``slot * RECENT_CHECKS`` on, where
        #: the next entry goes and how many there are
        self.recent_since = array("I", [0]) * size
        self.recent = array("h", [0]) * (size * RECENT_CHECKS)
        self.recent_next = bytearray(size)
        self.recent_length = bytearray(size)
        self.open_outages: dict[int, Outage] = {}
        #: the latest error seen, kept after recovery (it describes the outage just closed)
        self.last_errors: dict[int, str] = {}
        self.flips: dict[int, list[float]] = {}
        #: while UNREACHABLE: the parent that cuts the endpoint off
        self.causes: dict[int, str] = {}
        #: endpoints nobody checks (their cluster site has no live node), with the reason;
        #: set by the cluster for the table in use, not carried over to a new one
        self.unchecked: dict[int, str] = {}
        if previous is not None:
            self._keep(previous)

    def __getitem__(self, endpoint_id: str) -> EndpointState:
        return EndpointState(self, self._slots[endpoint_id])

    @overload
    def get(self, endpoint_id: str, /) -> EndpointState | None: ...
    @overload
    def get(self, endpoint_id: str, /, default: EndpointState | T) -> EndpointState | T: ...
    def get(self, endpoint_id: str, /, default: object = None) -> object:
        slot = self._slots.find(endpoint_id)
        return default if slot is None else EndpointState(self, slot)

    def __contains__(self, endpoint_id: object) -> bool:
        return endpoint_id in self._slots

    def __iter__(self) -> Iterator[str]:
        """The ids in the configuration's order."""
        return (endpoint.id for endpoint in self.endpoints)

    def __len__(self) -> int:
        return len(self.endpoints)

    def values(self) -> ValuesView[EndpointState]:
        """Every state in the configuration's order, without a lookup each."""
        return _States(self)

    # -- for readers of every state at once (the live board) --------------------------------
    def at(self, slot: int) -> EndpointState:
        return EndpointState(self, slot)

    def change_count(self, slot: int) -> int:
        """A number that changes whenever what the state at ``slot`` shows may have changed
        by anything but time passing: with every check taken in, with the damped state
        (which a restore sets without a check), and when nobody checks it any more."""
        taken = self.checks_up[slot] + self.checks_down[slot]
        return taken << 3 | self.state[slot] << 1 | (slot in self.unchecked)

    def seen(self) -> Seen:
        """What every slot's ``change_count`` is made of now, for ``changed_since``."""
        return Seen(
            bytes(self.checks_up), bytes(self.checks_down), bytes(self.state),
            frozenset(self.unchecked),
        )

    def changed_since(self, seen: Seen) -> list[int]:
        """The slots whose ``change_count`` differs from when ``seen`` was taken, in order.

        A reader of every state asking ``change_count`` slot by slot spends about 1 µs a
        slot, 20 ms at 20,000 endpoints, to find the few dozen checked since it last asked;
        here the columns are compared whole, in C, and only differing slots are visited."""
        changed = set(seen.unchecked.symmetric_difference(self.unchecked))
        for before, column in (
            (seen.checks_up, self.checks_up),
            (seen.checks_down, self.checks_down),
            (seen.state, self.state),
        ):
            changed.update(_differing(before, bytes(column), memoryview(column).itemsize))
        return sorted(changed)

    def _keep(self, previous: StateTable) -> None:
        """Carry over the state of every endpoint that was in ``previous`` too.

        Column by column, a run of consecutive slots at a time: a new configuration mostly
        keeps the endpoints in their order, so 10,000 endpoints with one added are two runs,
        not 10,000 endpoints times every column."""
        for start, old_start, length in _runs(self.endpoints, previous):
            end, old_end = start + length, old_start + length
            for name in _COLUMNS:
                getattr(self, name)[start:end] = getattr(previous, name)[old_start:old_end]
            self.recent[start * RECENT_CHECKS : end * RECENT_CHECKS] = previous.recent[
                old_start * RECENT_CHECKS : old_end * RECENT_CHECKS
            ]
        sparse = (previous.open_outages, previous.last_errors, previous.causes, previous.flips)
        moved = {
            old: slot
            for old in {old for column in sparse for old in column}
            if (slot := self._slots.find(previous.endpoints[old].id)) is not None
        }
        for old, slot in sorted(moved.items(), key=lambda pair: pair[1]):
            if (outage := previous.open_outages.get(old)) is not None:
                self.open_outages[slot] = outage
            if (error := previous.last_errors.get(old)) is not None:
                self.last_errors[slot] = error
            if (cause := previous.causes.get(old)) is not None:
                self.causes[slot] = cause
            if (flips := previous.flips.get(old)) is not None:
                self.flips[slot] = list(flips)  # the old table's views may still add to theirs


@dataclass(frozen=True, slots=True)
class Seen:
    """The columns ``change_count`` is made of, as bytes, at one moment."""

    checks_up: bytes
    checks_down: bytes
    state: bytes
    unchecked: frozenset[int]


#: every byte but zero to one, so that a differing byte is found with ``bytes.find``
_NONZERO_TO_ONE = bytes([0] + [1] * 255)


def _differing(before: bytes, after: bytes, width: int) -> Iterator[int]:
    """The indexes of the ``width``-byte items that differ between two columns of equal
    length: the columns as two integers xor-ed (whole, in C), then each differing byte found
    with ``bytes.find``, a few µs per differing item and about 0.3 ms for 80 KB."""
    if before == after:
        return
    xor = int.from_bytes(before, "little") ^ int.from_bytes(after, "little")
    flags = xor.to_bytes(len(after), "little").translate(_NONZERO_TO_ONE)
    at = flags.find(1)
    while at >= 0:
        index = at // width
        yield index
        at = flags.find(1, (index + 1) * width)


def _runs(endpoints: Sequence[Endpoint], previous: StateTable) -> Iterator[tuple[int, int, int]]:
    """``(slot, previous slot, length)`` of each run of endpoints that were consecutive in
    ``previous`` too; an endpoint is looked up only where a run breaks."""
    before = previous.endpoints
    start = old_start = length = 0
    for slot, endpoint in enumerate(endpoints):
        following = old_start + length
        if length and following < len(before) and before[following].id == endpoint.id:
            length += 1
            continue
        if length:
            yield start, old_start, length
        old = previous._slots.find(endpoint.id)
        start, old_start, length = slot, old if old is not None else 0, int(old is not None)
    if length:
        yield start, old_start, length


class _States(ValuesView[EndpointState]):
    _mapping: StateTable

    def __iter__(self) -> Iterator[EndpointState]:
        table = self._mapping
        return (EndpointState(table, slot) for slot in range(len(table)))


def _floats(size: int) -> array[float]:
    return array("d", [math.nan]) * size
