"""What this plugin reads of Pulse's configuration, and the contract's names it works with.

Everything comes from ``pulse_core.contract``: the running Pulse is a ``PulseView`` (the
hooks' ``app``, ``current_pulse()`` in a route), and ``pulse report run`` reaches the
configuration file, the store and a notifier through ``args.pulse``, an ``InstalledPulse``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulse_core.contract import (
    Endpoint,
    Group,
    History,
    InstalledPulse,
    Outage,
    PulseConfig,
    PulseView,
    Resolution,
    Rollup,
)

__all__ = [
    "History", "InstalledPulse", "Outage", "PulseConfig", "PulseView", "Resolution", "Rollup",
    "catalogue", "email_notifiers", "reports_of",
]


def catalogue(config: PulseConfig) -> tuple[Sequence[Group], Sequence[Endpoint]]:
    return config.groups, config.endpoints


def reports_of(config: PulseConfig) -> Any:
    """The ``reports`` section of ``config`` (a ReportsSection), or None."""
    return config.sections.get("reports")


def email_notifiers(config: PulseConfig) -> list[Any]:
    """The ``email`` entries of ``notifiers``, in the order they are written."""
    notifiers = config.sections.get("notifiers")
    return [
        entry for entry in (notifiers.root if notifiers is not None else ())
        if getattr(entry, "type_name", None) == "email"
    ]
