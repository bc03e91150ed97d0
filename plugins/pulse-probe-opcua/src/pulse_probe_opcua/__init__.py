"""Pulse probe plugin ``opcua``: an endpoint is up when its OPC UA server says it is Running
and the values it is asked about are as expected."""

from pulse_probe_opcua.options import OpcuaDefaults, OpcuaTargetOptions
from pulse_probe_opcua.probe import OpcuaProbe

__all__ = ["OpcuaDefaults", "OpcuaProbe", "OpcuaTargetOptions"]
