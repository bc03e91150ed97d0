"""Pulse as installed, for tests and benchmarks of a plugin's command: what ``pulse`` hands
the command as ``args.pulse``, built here the same way from the installed plugins."""

from __future__ import annotations

from collections.abc import Mapping

from pulse_core.app import load_plugins
from pulse_core.contract.installed import InstalledPulse
from pulse_core.installation import Installation


def installed_pulse(environ: Mapping[str, str] | None = None) -> InstalledPulse:
    """The installed plugins that ``environ`` allows (``PULSE_PLUGINS``, as for ``pulse``),
    and what they make of a configuration file."""
    return Installation(load_plugins(environ))
