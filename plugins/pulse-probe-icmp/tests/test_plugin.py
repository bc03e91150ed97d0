"""The plugin as Pulse finds it: through the ``pulse`` entry point and the hook."""

from __future__ import annotations

from importlib.metadata import entry_points

import pluggy
from pulse_core import hookspecs
from pulse_core.probe import Probe

from pulse_probe_icmp import IcmpOptions, IcmpProbe


def test_the_entry_point_registers_the_icmp_probe() -> None:
    (entry_point,) = entry_points(group="pulse", name="pulse-probe-icmp")
    manager = pluggy.PluginManager("pulse")
    manager.add_hookspecs(hookspecs)
    manager.register(entry_point.load(), name=entry_point.name)
    registered: list[type[Probe]] = []
    manager.hook.pulse_register_probes(register=registered.append)
    assert registered == [IcmpProbe]


def test_the_probe_declares_its_type_and_keys() -> None:
    assert IcmpProbe.type_name == "icmp"
    assert IcmpProbe.port_required is False
    assert IcmpProbe.target_options is IcmpOptions
    assert set(IcmpOptions.model_fields) == {"count", "packet_interval_ms", "payload_size"}
