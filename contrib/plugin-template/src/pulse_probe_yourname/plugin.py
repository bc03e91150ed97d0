"""Pulse's entry point into this distribution: the ``@hookimpl`` functions, nothing else."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core import hookimpl
from pulse_core.probe import Probe

from pulse_probe_yourname.probe import YournameProbe


@hookimpl
def pulse_register_probes(register: Callable[[type[Probe]], None]) -> None:
    register(YournameProbe)
