"""Pulse's ICMP echo probe: one socket per address family for all endpoints."""

from pulse_probe_icmp.engine import EchoFailure, EchoOutcome, IcmpEngine
from pulse_probe_icmp.options import IcmpOptions
from pulse_probe_icmp.probe import IcmpProbe
from pulse_probe_icmp.sockets import IcmpPermissionError, SocketKind

__all__ = [
    "EchoFailure",
    "EchoOutcome",
    "IcmpEngine",
    "IcmpOptions",
    "IcmpPermissionError",
    "IcmpProbe",
    "SocketKind",
]
