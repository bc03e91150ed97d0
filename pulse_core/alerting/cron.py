"""Five-field cron expressions, for the start times of maintenance windows.

Written here rather than taken from a dependency because a window needs one question
answered, "did a start fall within the last *duration*?", over the classic syntax only:
``*``, numbers, ``a-b`` ranges, ``,`` lists and ``/n`` steps, in the fields minute, hour,
day of month, month and day of week (0 or 7 is Sunday). As in Vixie cron, when both day
fields are restricted a day matching either one counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
#: Longest window searched backwards, minute by minute (a week).
MAX_WINDOW_S = 7 * 24 * 3600


class CronError(ValueError):
    """An expression that is not valid five-field cron."""


@dataclass(frozen=True)
class CronSchedule:
    source: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        parts = text.split()
        if len(parts) != 5:
            raise CronError(
                f"'{text}' must have 5 fields (minute hour day-of-month month day-of-week)"
            )
        values = [_field(part, *spec) for part, spec in zip(parts, _FIELDS)]
        weekdays = frozenset(
            7 if day == 0 else day for day in values[4]
        )  # isoweekday: Sunday=7
        return cls(
            text,
            values[0],
            values[1],
            values[2],
            values[3],
            weekdays,
            parts[2] == "*",
            parts[4] == "*",
        )

    def matches(self, moment: datetime) -> bool:
        """Whether a start falls in the minute of ``moment``."""
        if moment.minute not in self.minutes or moment.hour not in self.hours:
            return False
        if moment.month not in self.months:
            return False
        day_ok = moment.day in self.days
        weekday_ok = moment.isoweekday() in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok

    def started_within(self, now: datetime, duration_s: float) -> bool:
        """Whether a start fell in ``(now - duration, now]``: a window is open at ``now``."""
        minute = now.replace(second=0, microsecond=0)
        earliest = now - timedelta(seconds=min(duration_s, MAX_WINDOW_S))
        while minute > earliest:
            if self.matches(minute):
                return True
            minute -= timedelta(minutes=1)
        return False


def _field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    found: set[int] = set()
    for item in text.split(","):
        spec, _, step_text = item.partition("/")
        step = _number(step_text, name) if step_text else 1
        if step < 1:
            raise CronError(f"{name}: step must be at least 1")
        if spec == "*":
            start, end = low, high
        elif "-" in spec:
            first, _, last = spec.partition("-")
            start, end = _number(first, name), _number(last, name)
        else:
            start = _number(spec, name)
            end = high if step_text else start
        if not low <= start <= end <= high:
            raise CronError(f"{name}: '{item}' is outside {low}-{high}")
        found.update(range(start, end + 1, step))
    return frozenset(found)


def _number(text: str, name: str) -> int:
    if not text.isdigit():
        raise CronError(f"{name}: '{text}' is not a number")
    return int(text)
