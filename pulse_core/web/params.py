"""Reading query parameters, with a 400 that names the parameter and the expected form."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Mapping, TypeVar

from pulse_core.web.errors import bad_request

E = TypeVar("E", bound=str)


def parse_time(args: Mapping[str, str], name: str, default: float | None = None) -> float:
    """An ISO-8601 time (``2024-01-15T10:30:00Z``; no offset means UTC) as POSIX seconds."""
    raw = args.get(name)
    if raw in (None, ""):
        if default is None:
            raise bad_request(f"{name} is required (an ISO-8601 time such as 2024-01-15T10:30:00Z)")
        return default
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise bad_request(
            f"{name}={raw!r} is not an ISO-8601 time (expected e.g. 2024-01-15T10:30:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def parse_int(
    args: Mapping[str, str], name: str, default: int, minimum: int, maximum: int
) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name}={raw!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise bad_request(f"{name} must be between {minimum} and {maximum}, not {value}")
    return value


def parse_choice(args: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    raw = args.get(name) or default
    if raw not in choices:
        raise bad_request(f"{name}={raw!r} is not one of: {', '.join(choices)}")
    return raw


def parse_range(args: Mapping[str, str], start_name: str, end_name: str, default_span_s: float,
                now: float, max_span_s: float | None = None) -> tuple[float, float]:
    """``[start, end)``: ``end`` defaults to now, ``start`` to ``default_span_s`` before it."""
    end = parse_time(args, end_name, default=now)
    start = parse_time(args, start_name, default=end - default_span_s)
    if start >= end:
        raise bad_request(f"{start_name} must be before {end_name}")
    if max_span_s is not None and end - start > max_span_s:
        raise bad_request(
            f"the range {start_name}..{end_name} is longer than {max_span_s / 86400:g} days; "
            "ask for a coarser bucket or a shorter range"
        )
    return start, end
