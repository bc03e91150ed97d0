"""The ``opcua`` probe: an endpoint is up when its OPC UA server says it is Running and the
values it is asked about are as expected.

This class is what Pulse registers and loads configurations with: its type and options.
The checks (:mod:`pulse_probe_opcua.checking`) need asyncua, which takes 0.2-0.3 s of CPU to
import; they are imported when the probe starts, so only where a configuration has ``opcua``
targets, and not by every ``pulse`` command that loads the plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from pulse_core.contract import Endpoint, Probe, ProbeResult

from pulse_probe_opcua.options import OpcuaDefaults, OpcuaTargetOptions

if TYPE_CHECKING:
    from pulse_probe_opcua.checking import OpcuaChecks


class OpcuaProbe(Probe):
    """One session per endpoint, kept across checks; see :class:`OpcuaChecks`."""

    type_name = "opcua"
    target_options = OpcuaTargetOptions
    defaults_options = OpcuaDefaults
    identity_options = ("path",)

    def __init__(self, defaults: BaseModel | None = None) -> None:
        super().__init__(defaults)
        self.settings = OpcuaDefaults.model_validate(defaults if defaults is not None else {})
        self._checks: OpcuaChecks | None = None

    async def start(self) -> None:
        """Import the checks (a missing asyncua fails here, and Pulse reports the probe as
        unavailable with the reason) and start them."""
        from pulse_probe_opcua.checking import OpcuaChecks

        self._checks = OpcuaChecks(self.settings)
        await self._checks.start()

    async def close(self) -> None:
        if self._checks is not None:
            await self._checks.close()

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        if self._checks is None:
            raise RuntimeError("the opcua probe was not started")
        return await self._checks.check(endpoint)
