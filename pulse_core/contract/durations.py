"""Durations in the YAML: ``90s``, ``30m``, ``4h``, ``1d``, ``250ms`` or a plain number of
seconds, as options of alerting and of notifier plugins read them."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def _duration_s(value: Any) -> float:
    if isinstance(value, bool):
        raise PydanticCustomError(
            "duration", "must be a duration like 90s, 30m, 4h or 1d"
        )
    if isinstance(value, (int, float)):
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise PydanticCustomError(
            "duration", "must be a duration like 90s, 30m, 4h or 1d"
        )
    return float(match.group(1)) * _UNIT_S[match.group(2)]


#: Seconds, written ``90s``, ``30m``, ``4h``, ``1d`` (or a plain number of seconds).
Duration = Annotated[float, BeforeValidator(_duration_s), Field(gt=0)]
