"""The ``snmp`` probe: an endpoint is up when its agent answers a GET of ``sysUpTime.0``, and
the values and interfaces the target names are as expected.

This class is what Pulse registers and loads configurations with: its type and options.
The checks (:mod:`pulse_probe_snmp.checking`) need pysnmp, which takes tens of milliseconds
to import; they are imported when the probe starts, so only where a configuration has
``snmp`` targets, and not by every ``pulse`` command that loads the plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulse_core.contract import Endpoint, Probe, ProbeResult
from pulse_probe_snmp.options import SnmpDefaults, SnmpTargetOptions

if TYPE_CHECKING:
    from pulse_probe_snmp.checking import SnmpChecks


class SnmpProbe(Probe):
    """One pysnmp engine for every check; see :class:`SnmpChecks`."""

    type_name = "snmp"
    target_options = SnmpTargetOptions
    defaults_options = SnmpDefaults

    def __init__(self, defaults: SnmpDefaults | None = None) -> None:
        super().__init__(defaults)
        self._checks: SnmpChecks | None = None

    async def start(self) -> None:
        """Import the checks (a missing pysnmp fails here, and Pulse reports the probe as
        unavailable with the reason) and start them."""
        from pulse_probe_snmp.checking import SnmpChecks

        self._checks = SnmpChecks(self.defaults)
        await self._checks.start()

    async def close(self) -> None:
        if self._checks is not None:
            await self._checks.close()

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        if self._checks is None:
            raise RuntimeError("the snmp probe was not started")
        return await self._checks.check(endpoint)
