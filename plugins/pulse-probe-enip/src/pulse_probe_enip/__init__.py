"""Pulse probe plugin ``enip``: an endpoint is up when its EtherNet/IP device answers a
ListIdentity request, and is the device the target expects."""

from pulse_probe_enip.identity import Identity
from pulse_probe_enip.options import EnipTargetOptions
from pulse_probe_enip.probe import EnipProbe

__all__ = ["EnipProbe", "EnipTargetOptions", "Identity"]
