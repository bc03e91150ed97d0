"""Moments as notifications write them: ISO 8601 in UTC, ``2024-01-15T10:30:00Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_timestamp(ts: float) -> str:
    """``2024-01-15T10:30:00Z`` (milliseconds only when there are some)."""
    moment = datetime.fromtimestamp(ts, UTC)
    text = moment.isoformat(
        timespec="milliseconds" if moment.microsecond else "seconds"
    )
    return text.replace("+00:00", "Z")
