"""Pulse probe plugin ``yourname``."""

from pulse_probe_yourname.probe import YournameProbe

__all__ = ["YournameProbe"]
