"""The period a report covers, and the one before it that it is compared with.

A rolling range (``24h``, ``7d``) ends at the moment the report is due; a calendar range
(``yesterday``, ``last_week``, ``last_month``) is whole days in the report's timezone, so a
daily report at 08:00 Paris time covers midnight to midnight there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

CALENDAR_RANGES = ("yesterday", "last_week", "last_month")
MIN_RANGE_S = 3600.0
MAX_RANGE_S = 90 * 86400.0
_ROLLING = re.compile(r"^(\d+)([hd])$")


def parse_time_range(text: str) -> str | float:
    """A calendar range's name, or a rolling range in seconds; ValueError says what is taken."""
    if text in CALENDAR_RANGES:
        return text
    match = _ROLLING.match(text)
    if match is None:
        raise ValueError(
            f"'{text}' is not a time range: write 1h .. 90d (hours or days), "
            "yesterday, last_week or last_month"
        )
    seconds = int(match[1]) * (3600 if match[2] == "h" else 86400)
    if not MIN_RANGE_S <= seconds <= MAX_RANGE_S:
        raise ValueError(f"time range {text} is outside 1h .. 90d")
    return float(seconds)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    previous_start: datetime

    @property
    def start_ts(self) -> float:
        return self.start.timestamp()

    @property
    def end_ts(self) -> float:
        return self.end.timestamp()

    @property
    def previous_start_ts(self) -> float:
        return self.previous_start.timestamp()

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M} {self.end:%Z}"


def period_of(time_range: str, due: datetime) -> Period:
    """The period ``time_range`` names for a report due at ``due`` (aware, in its timezone)."""
    spec = parse_time_range(time_range)
    if isinstance(spec, float):
        start = due - timedelta(seconds=spec)
        return Period(start, due, start - timedelta(seconds=spec))
    midnight = _local(due.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None), due)
    if spec == "yesterday":
        start = _shift_days(midnight, -1)
        return Period(start, midnight, _shift_days(start, -1))
    if spec == "last_week":
        this_monday = _shift_days(midnight, -midnight.weekday())
        start = _shift_days(this_monday, -7)
        return Period(start, this_monday, _shift_days(start, -7))
    first = midnight.replace(day=1)
    start = _month_before(first)
    return Period(start, first, _month_before(start))


def _shift_days(moment: datetime, days: int) -> datetime:
    """Whole calendar days: across a daylight-saving change a day is 23 or 25 hours."""
    return _local(moment.replace(tzinfo=None) + timedelta(days=days), moment)


def _month_before(first: datetime) -> datetime:
    year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
    return _local(first.replace(year=year, month=month, tzinfo=None), first)


def _local(naive: datetime, like: datetime) -> datetime:
    return naive.replace(tzinfo=like.tzinfo)
