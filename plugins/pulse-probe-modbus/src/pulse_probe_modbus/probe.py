"""The ``modbus`` probe: an endpoint is up when its Modbus TCP server answers the configured
read, and the values read are as expected.

A TCP handshake only proves that a port is open; a gateway whose serial line is cut, or a PLC
whose Modbus task has stopped, still accepts connections. A read proves the device's Modbus
server answers. An exception reply fails the check with the exception's name: the read is
the one the target asked for, so ``illegal data address`` is a configuration to fix and
``slave device busy`` a device that cannot serve it now (``retries`` may help).

This class is what Pulse registers and loads configurations with: its type and options. The
checks (:mod:`pulse_probe_modbus.checking`) need pymodbus; they are imported when the probe
starts (a ``LazyProbe``), so only where a configuration has ``modbus`` targets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulse_core.contract import LazyProbe
from pulse_probe_modbus.options import ModbusTargetOptions

if TYPE_CHECKING:
    from pulse_probe_modbus.checking import ModbusChecks


class ModbusProbe(LazyProbe):
    """A read on a fresh connection per check; see :class:`ModbusChecks`."""

    type_name = "modbus"
    target_options = ModbusTargetOptions
    port_required = True
    identity_options = ("unit",)

    def make_checks(self) -> ModbusChecks:
        from pulse_probe_modbus.checking import ModbusChecks

        return ModbusChecks()
