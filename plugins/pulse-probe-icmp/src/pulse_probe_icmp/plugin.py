"""Pulse's entry point for the ``icmp`` target type."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core.contract import Probe, hookimpl

from pulse_probe_icmp.probe import IcmpProbe


@hookimpl
def pulse_register_probes(register: Callable[[type[Probe]], None]) -> None:
    register(IcmpProbe)
