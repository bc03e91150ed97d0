"""What the values of one GET mean: expectations met or not, a restart noticed or not.

Kept apart from pysnmp: these rules work on plain numbers and text, and remember the little
a check needs from the one before (the device's uptime, the values that must change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from pulse_core.contract import bounds_problem
from pulse_probe_snmp.options import OidExpectation

#: sysUpTime is TimeTicks: hundredths of a second in 32 bits, so it wraps after ~497 days
TICKS_PER_S = 100
TICKS_WRAP = 2**32
#: how far a wrapped uptime may be from where it should be and still count as a wrap
WRAP_TOLERANCE_TICKS = 60 * TICKS_PER_S

IF_OPER_STATUS_WORDS = {
    1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent",
    7: "lowerLayerDown",
}


def iso(ts: float) -> str:
    """``2024-01-15T10:30:00.250Z``: how the API writes every time."""
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class Uptime:
    """The device's uptime at the previous check, and the latest restart noticed."""

    ticks: int
    seen_ts: float
    restarted_ts: float | None = None


class UptimeMemory:
    """sysUpTime by endpoint id: an uptime that went back (and did not just wrap) is a
    restart the device went through between two checks, however short its outage was."""

    def __init__(self) -> None:
        self._uptimes: dict[str, Uptime] = {}

    def observe(self, endpoint_id: str, ticks: int, now: float) -> tuple[bool, float | None]:
        """Whether this check noticed a restart, and when the latest restart happened."""
        previous = self._uptimes.get(endpoint_id)
        if previous is None:
            self._uptimes[endpoint_id] = Uptime(ticks, now)
            return False, None
        restarted = ticks < previous.ticks and not _wrapped(previous, ticks, now)
        if restarted:
            previous.restarted_ts = now - ticks / TICKS_PER_S
        previous.ticks, previous.seen_ts = ticks, now
        return restarted, previous.restarted_ts


def _wrapped(previous: Uptime, ticks: int, now: float) -> bool:
    expected = previous.ticks + round((now - previous.seen_ts) * TICKS_PER_S)
    return expected >= TICKS_WRAP and abs(expected - TICKS_WRAP - ticks) <= WRAP_TOLERANCE_TICKS


class ValueMemory:
    """The previous value of each ``changed: true`` OID, by endpoint id."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], int | str] = {}

    def swap(self, endpoint_id: str, oid: str, value: int | str) -> int | str | None:
        """Remembers ``value`` and returns the one it replaces."""
        key = (endpoint_id, oid)
        previous = self._values.get(key)
        self._values[key] = value
        return previous


def unmet(expectation: OidExpectation, value: int | str, previous: int | str | None) -> str | None:
    """Why ``value`` does not meet ``expectation`` (one short clause), or ``None``."""
    label = expectation.label
    if expectation.equals is not None and not _same(value, expectation.equals):
        return f"{label} is {value!r}, expected {expectation.equals!r}"
    problem = bounds_problem(label, value, expectation.min, expectation.max, _shown)
    if problem is not None:
        return problem
    if expectation.changed and previous is not None and value == previous:
        return f"{label} unchanged since the previous check ({value!r})"
    return None


def _shown(value: int | str) -> str:
    """Numbers as they are, text quoted, so an empty or spaced text is visible."""
    return repr(value) if isinstance(value, str) else str(value)


def _same(value: int | str, expected: int | str) -> bool:
    """``equals: 3`` matches the integer 3 and the text ``"3"`` a device may send for it."""
    return value == expected or str(value) == str(expected)


def oper_status_word(value: int | str) -> str:
    return IF_OPER_STATUS_WORDS.get(value, f"status {value}") if isinstance(value, int) else str(value)
