"""Pulse probe plugin ``snmp``: an endpoint is up when its SNMP agent answers, with the values
and interfaces it names as expected."""

from pulse_probe_snmp.options import OidExpectation, SnmpDefaults, SnmpTargetOptions
from pulse_probe_snmp.probe import SnmpProbe

__all__ = ["OidExpectation", "SnmpDefaults", "SnmpProbe", "SnmpTargetOptions"]
