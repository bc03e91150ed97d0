"""The target keys an ``icmp`` target may carry besides the common ones."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: The largest payload that fits an IPv4 datagram (65,535 minus the IP and ICMP headers).
MAX_PAYLOAD_SIZE = 65_507


class IcmpOptions(BaseModel):
    """``count`` packets ``packet_interval_ms`` apart make one check (fping's ``-c``/``-p``),
    which is how loss and jitter are measured; one packet is the cheap default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = Field(default=1, ge=1, le=100, description="echo requests per check")
    packet_interval_ms: int = Field(
        default=200, ge=10, description="time between the requests of one check (count > 1)"
    )
    payload_size: int = Field(
        default=56,
        ge=0,
        le=MAX_PAYLOAD_SIZE,
        description="bytes of payload after the 8-byte ICMP header",
    )
