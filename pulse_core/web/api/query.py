"""Types shared by the read API's query-string models: instants and history buckets."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator

from pulse_core.contract.api_errors import bad_request

Bucket = Literal["raw", "15m", "daily"]

#: the length of a rollup bucket, to widen a range to whole buckets
BUCKET_SECONDS: dict[str, float] = {"15m": 900.0, "daily": 86_400.0}


def _restore_plus(value: object) -> object:
    """An unencoded ``+`` in ``...T10:00:00+02:00`` arrives as a space; put it back."""
    return value.replace(" ", "+") if isinstance(value, str) else value


def _as_utc(moment: datetime) -> datetime:
    """No offset means UTC. Instants the calendar cannot hold in UTC are refused, not crashed on."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("time out of range") from None


Instant = Annotated[datetime, BeforeValidator(_restore_plus), AfterValidator(_as_utc)]
"""An ISO-8601 time such as ``2024-01-15T10:30:00Z`` (no offset means UTC)."""


def checked_range(
    start: datetime, end: datetime, names: tuple[str, str], max_days: float | None = None
) -> tuple[float, float]:
    """``[start, end)`` as POSIX seconds; a 400 naming the parameters if it is empty or too long."""
    if start >= end:
        raise bad_request(f"{names[0]} must be before {names[1]}")
    first, last = start.timestamp(), end.timestamp()
    if max_days is not None and last - first > max_days * 86_400:
        raise bad_request(
            f"the range {names[0]}..{names[1]} is longer than {max_days:g} days, the limit "
            "for this bucket; ask for a shorter range or a coarser bucket"
        )
    return first, last


def whole_buckets(start: float, bucket: Bucket) -> float:
    """Move ``start`` back to the start of its bucket, so the bucket holding it is included."""
    size = BUCKET_SECONDS.get(bucket)
    return start if size is None else start - start % size
