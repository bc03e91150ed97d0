"""The ``snmp`` probe: an endpoint is up when its agent answers a GET of ``sysUpTime.0``, and
the values and interfaces the target names are as expected.

This class is what Pulse registers and loads configurations with: its type and options.
The checks (:mod:`pulse_probe_snmp.checking`) need pysnmp, which takes tens of milliseconds
to import; they are imported when the probe starts (a ``LazyProbe``), so only where a
configuration has ``snmp`` targets, and not by every ``pulse`` command that loads the
plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulse_core.contract import LazyProbe
from pulse_probe_snmp.options import SnmpDefaults, SnmpTargetOptions

if TYPE_CHECKING:
    from pulse_probe_snmp.checking import SnmpChecks


class SnmpProbe(LazyProbe):
    """One pysnmp engine for every check; see :class:`SnmpChecks`."""

    type_name = "snmp"
    target_options = SnmpTargetOptions
    defaults_options = SnmpDefaults

    def make_checks(self) -> SnmpChecks:
        from pulse_probe_snmp.checking import SnmpChecks

        return SnmpChecks(self.defaults)
