"""Pulse's entry point into this distribution: registers the ``snmp`` probe."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core.contract import Probe, hookimpl
from pulse_probe_snmp.probe import SnmpProbe


@hookimpl
def pulse_register_probes(register: Callable[[type[Probe]], None]) -> None:
    register(SnmpProbe)
