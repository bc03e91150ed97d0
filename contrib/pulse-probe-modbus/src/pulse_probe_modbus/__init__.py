"""Pulse probe plugin ``modbus``: an endpoint is up when its Modbus TCP server answers a
Read Holding Registers request."""

from pulse_probe_modbus.probe import ModbusOptions, ModbusProbe

__all__ = ["ModbusOptions", "ModbusProbe"]
