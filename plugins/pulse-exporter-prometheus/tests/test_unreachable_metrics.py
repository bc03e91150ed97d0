"""A PLC behind a dead switch (``depends_on``, docs/topology.md) on a running Pulse: 0 in
``pulse_endpoint_status`` as any endpoint that is not online, 1 in
``pulse_endpoint_unreachable``, counted under ``status="unreachable"``."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families as parse_text

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.waiting import eventually


def plant(switch: TcpListener, plc: TcpListener) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500, retries: 0, success_threshold: 1}}
groups: [{{id: plant, name: Plant}}]
targets:
  - {{name: switch, type: tcp, host: 127.0.0.1, port: {switch.port}, group: plant}}
  - {{name: plc, type: tcp, host: 127.0.0.1, port: {plc.port}, group: plant, depends_on: switch}}
"""


async def scrape(server: RunningPulse) -> dict[str, dict[str, float]]:
    """``{family: {endpoint or status label: value}}`` of one scrape."""
    async with server.client(authenticated=False) as client:
        text = (await client.get("/api/metrics")).text
    return {
        family.name: {
            sample.labels.get("endpoint", sample.labels.get("status", "")): sample.value
            for sample in family.samples
        }
        for family in parse_text(text)
    }


async def test_an_unreachable_endpoint_has_a_family_of_its_own(tmp_path: Path) -> None:
    switch, plc = TcpListener(), TcpListener()
    await switch.start()
    await plc.start()
    async with running_pulse(plant(switch, plc), tmp_path) as server:
        plc_id = next(ep.id for ep in server.pulse.config.endpoints if ep.name == "plc")

        async def online() -> bool | None:
            families = await scrape(server)
            return True if families["pulse_endpoint_status"] == {"switch": 1, "plc": 1} else None

        await eventually(online)
        await switch.stop()
        await plc.stop()

        async def unreachable() -> dict[str, dict[str, float]] | None:
            status = server.pulse.status(plc_id, 0)
            return await scrape(server) if status and status.cause else None

        families = await eventually(unreachable)
    assert families["pulse_endpoint_unreachable"] == {"switch": 0, "plc": 1}
    assert families["pulse_endpoint_status"] == {"switch": 0, "plc": 0}
    assert families["pulse_endpoints"]["unreachable"] == 1
