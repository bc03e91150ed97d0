"""How a probe words a value that falls outside the bounds a target sets (``min``, ``max``).

SNMP values, Modbus registers and OPC UA nodes are all held to bounds the same way, and the
person on call reads the same sentence whichever protocol read the value. What ``equals``
means differs between protocols (text, booleans, enumerations), so each probe keeps that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def bounds_problem(
    label: str,
    value: Any,
    minimum: float | None,
    maximum: float | None,
    shown: Callable[[Any], str] = str,
) -> str | None:
    """Why ``value`` breaks ``minimum`` or ``maximum`` (one short clause), or ``None``.

    With neither bound any value passes; with one, a value that is no number fails.
    """
    if minimum is None and maximum is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        return f"{label} is {shown(value)}, not a number"
    if minimum is not None and value < minimum:
        return f"{label} is {shown(value)}, below min {minimum:g}"
    if maximum is not None and value > maximum:
        return f"{label} is {shown(value)}, above max {maximum:g}"
    return None
