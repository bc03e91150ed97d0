"""Pulse's entry point into this distribution: registers the ``tcp`` probe."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core.contract import Probe, hookimpl

from pulse_probe_tcp.probe import TcpProbe


@hookimpl
def pulse_register_probes(register: Callable[[type[Probe]], None]) -> None:
    register(TcpProbe)
