"""Pulse's entry point into this distribution: registers the ``http`` probe."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core.contract import Probe, hookimpl

from pulse_probe_http.probe import HttpProbe


@hookimpl
def pulse_register_probes(register: Callable[[type[Probe]], None]) -> None:
    register(HttpProbe)
