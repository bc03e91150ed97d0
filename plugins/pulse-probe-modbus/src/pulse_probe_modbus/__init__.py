"""Pulse probe plugin ``modbus``: an endpoint is up when its Modbus TCP server answers a read,
with the values as expected."""

from pulse_probe_modbus.options import ModbusTargetOptions
from pulse_probe_modbus.probe import ModbusProbe

__all__ = ["ModbusProbe", "ModbusTargetOptions"]
