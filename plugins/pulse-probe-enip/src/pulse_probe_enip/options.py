"""The YAML keys the ``enip`` probe owns: what the device at the address must be.

No ``defaults.enip``: the expectations name one device each, so there is nothing every
target would share.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

SERIAL_MAX = 0xFFFFFFFF


def _serial_number(value: Any) -> Any:
    """``0x006C061A`` in YAML is already a number; as text it may be hex (``0x`` first) or
    decimal, the two ways vendor tools print it."""
    if isinstance(value, str):
        try:
            return int(value.strip(), 0)
        except ValueError:
            raise ValueError(
                f"not a serial number: {value!r}; write it like 0x006C061A or 7079450"
            ) from None
    return value


SerialNumber = Annotated[int, BeforeValidator(_serial_number), Field(ge=0, le=SERIAL_MAX)]


class EnipTargetOptions(BaseModel):
    """Keys of an ``enip`` target besides the core ones (``host``, ``port``, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product_name: str | None = Field(
        None, min_length=1, max_length=32, description="the product name the device must report"
    )
    serial: SerialNumber | None = Field(None, description="the serial number it must report")
