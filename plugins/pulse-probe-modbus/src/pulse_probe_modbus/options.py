"""The YAML keys the ``modbus`` probe owns.

Frozen models with hashable values only: target options end up inside the (hashable)
endpoint.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["holding", "input", "coils", "discrete"]
#: the most one request may ask for, by kind (the Modbus specification's limits)
MAX_COUNT: dict[str, int] = {"holding": 125, "input": 125, "coils": 2000, "discrete": 2000}


class Read(BaseModel):
    """``read:``: which table, from which address, how many values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind = Field("holding", description="holding or input registers, coils, discrete inputs")
    address: int = Field(0, ge=0, le=65535, description="the first address read, 0-based")
    count: int = Field(1, ge=1, description="how many values are read")

    @model_validator(mode="after")
    def _count_fits(self) -> Read:
        if self.count > MAX_COUNT[self.kind]:
            raise ValueError(f"count: at most {MAX_COUNT[self.kind]} {self.kind} in one read")
        if self.address + self.count > 65536:
            raise ValueError("address + count goes past the last address, 65535")
        return self


class Expectation(BaseModel):
    """One ``expect:`` entry: what the value at ``index`` of the read must be."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int = Field(0, ge=0, description="which value of the read, 0 = the first")
    equals: int | None = Field(None, description="the value must be exactly this (coils: 0 or 1)")
    min: float | None = Field(None, description="the value must be no smaller than this")
    max: float | None = Field(None, description="the value must be no larger than this")


class ModbusTargetOptions(BaseModel):
    """Keys of a ``modbus`` target besides the core ones (``host``, ``port``, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: int = Field(1, ge=0, le=255, description="the unit (slave) id addressed")
    read: Read = Field(Read(), description="what each check reads")
    expect: tuple[Expectation, ...] = Field((), description="what the values read must be")

    @field_validator("expect", mode="before")
    @classmethod
    def _one_or_many(cls, expect: Any) -> Any:
        """``expect: {min: 10}`` is about the first value; a list names an index per entry."""
        return [expect] if isinstance(expect, dict) else expect

    @model_validator(mode="after")
    def _indexes_are_read(self) -> ModbusTargetOptions:
        for expectation in self.expect:
            if expectation.index >= self.read.count:
                raise ValueError(
                    f"expect index {expectation.index} is not read: read.count is "
                    f"{self.read.count}, so index goes up to {self.read.count - 1}"
                )
        return self
