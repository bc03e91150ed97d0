"""Round-trip times kept to the microsecond.

Probes measure RTTs as float milliseconds with more digits than the clock behind them can
vouch for. The store keeps whole microseconds (0.001 ms): the integer a check block holds.
Recent checks are rounded the same way when written, so a check reads back the same before
and after it is packed into a block.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import repeat
from operator import truediv


def to_us(rtt_ms: float) -> int:
    return round(rtt_ms * 1000)


def from_us(rtt_us: int) -> float:
    return rtt_us / 1000


def from_us_all(rtts_us: Iterable[int]) -> Iterator[float]:
    """``from_us`` of each, without a Python call per value: an export reads millions."""
    return map(truediv, rtts_us, repeat(1000))


def kept_rtt_ms(rtt_ms: float | None) -> float | None:
    """``rtt_ms`` as the store keeps it."""
    return None if rtt_ms is None else from_us(to_us(rtt_ms))
