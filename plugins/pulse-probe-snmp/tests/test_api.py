"""A device restart, seen through a running Pulse: ``GET /api/endpoints/{id}`` shows the
snmp probe's details of the latest check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually

from .snmp_agent import COMMUNITY, SnmpAgent


async def test_the_endpoint_shows_the_uptime_and_a_restart(
    agent: SnmpAgent, tmp_path: Path
) -> None:
    config = f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500}}
groups: [{{id: network, name: Network}}]
targets:
  - {{type: snmp, group: network, host: 127.0.0.1, port: {agent.port}, name: Switch,
      community: {COMMUNITY}, interfaces: [lo]}}
"""
    async with running_pulse(config, tmp_path) as server, server.client() as client:
        [endpoint_id] = list(server.pulse.monitor.states)

        async def details() -> dict[str, Any]:
            reply = await client.get(f"/api/endpoints/{endpoint_id}")
            assert reply.status_code == 200, reply.text
            found: dict[str, Any] = reply.json()["details"]
            return found

        async def counted_past(seconds: float) -> dict[str, Any] | None:
            found = await details()
            return found if found.get("uptimeS", 0) > seconds else None

        before = await eventually(lambda: counted_past(1.0))
        await agent.stop()
        await agent.start()

        async def restart_noticed() -> dict[str, Any] | None:
            found = await details()
            return found if "restartedAt" in found else None

        after = await eventually(restart_noticed)
    assert before["interfaces"] == {"lo": "up"} and "restartedAt" not in before
    assert after["restartedAt"].endswith("Z") and after["interfaces"] == {"lo": "up"}
