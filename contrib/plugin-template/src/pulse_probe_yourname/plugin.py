"""Pulse's entry point into this distribution: the ``@hookimpl`` functions, nothing else."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core.contract import Probe, hookimpl

from pulse_probe_yourname.probe import YournameProbe


@hookimpl
def pulse_register_probes(register: Callable[[type[Probe]], None]) -> None:
    register(YournameProbe)
