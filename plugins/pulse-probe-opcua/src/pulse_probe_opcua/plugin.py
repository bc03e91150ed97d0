"""Pulse's entry point into this distribution: registers the ``opcua`` probe."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core.contract import Probe, hookimpl

from pulse_probe_opcua.probe import OpcuaProbe


@hookimpl
def pulse_register_probes(register: Callable[[type[Probe]], None]) -> None:
    register(OpcuaProbe)
