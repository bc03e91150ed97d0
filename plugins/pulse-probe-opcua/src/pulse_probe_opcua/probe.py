"""The ``opcua`` probe: an endpoint is up when its OPC UA server says it is Running and the
values it is asked about are as expected.

This class is what Pulse registers and loads configurations with: its type and options.
The checks (:mod:`pulse_probe_opcua.checking`) need asyncua, which takes 0.2-0.3 s of CPU to
import; they are imported when the probe starts (a ``LazyProbe``), so only where a
configuration has ``opcua`` targets, and not by every ``pulse`` command that loads the
plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from pulse_core.contract import LazyProbe

from pulse_probe_opcua.options import OpcuaDefaults, OpcuaTargetOptions

if TYPE_CHECKING:
    from pulse_probe_opcua.checking import OpcuaChecks


class OpcuaProbe(LazyProbe):
    """One session per endpoint, kept across checks; see :class:`OpcuaChecks`."""

    type_name = "opcua"
    target_options = OpcuaTargetOptions
    defaults_options = OpcuaDefaults
    identity_options = ("path",)

    def __init__(self, defaults: BaseModel | None = None) -> None:
        super().__init__(defaults)
        self.settings = OpcuaDefaults.model_validate(defaults if defaults is not None else {})

    def make_checks(self) -> OpcuaChecks:
        from pulse_probe_opcua.checking import OpcuaChecks

        return OpcuaChecks(self.settings)
