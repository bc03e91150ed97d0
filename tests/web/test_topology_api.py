"""``GET /api/topology`` and the ``topology`` of ``GET /api/endpoints/{id}`` on a real Pulse
whose switch and PLC never answer: the PLC is unreachable behind the switch."""

from __future__ import annotations

from pathlib import Path

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually

PLANT = """
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500, retries: 0}}
groups: [{{id: plant, name: Plant}}]
targets:
  - {{name: switch, type: tcp, host: 127.0.0.1, port: {switch}, group: plant}}
  - {{name: plc, type: tcp, host: 127.0.0.1, port: {plc}, group: plant, depends_on: switch}}
  - {{name: printer, type: tcp, host: 127.0.0.2, port: {plc}, group: plant, depends_on: plc,
      depends_on_mode: any}}
"""


async def test_the_tree_with_statuses_and_the_reason(tmp_path: Path) -> None:
    switch, plc = TcpListener(), TcpListener()
    async with running_pulse(PLANT.format(switch=switch.port, plc=plc.port), tmp_path) as server:
        ids = {ep.name: ep.id for ep in server.pulse.config.endpoints}
        async with server.client() as client:

            async def cut_off() -> dict | None:
                items = (await client.get("/api/topology")).json()["items"]
                statuses = [item["status"] for item in items]
                return items if statuses == ["down", "unreachable", "unreachable"] else None

            switch_item, plc_item, printer_item = await eventually(cut_off)
            detail = (await client.get(f"/api/endpoints/{ids['plc']}")).json()
            groups = (await client.get("/api/groups")).json()["items"]
            live = (await client.get("/api/status/live")).json()["items"]
    assert switch_item == {
        "id": ids["switch"], "name": "switch", "status": "down", "unreachableBehind": None,
        "dependsOn": [], "dependsOnMode": "all", "dependents": [ids["plc"]],
    }
    assert (plc_item["unreachableBehind"], plc_item["dependents"]) == (
        ids["switch"], [ids["printer"]]
    )
    assert (printer_item["unreachableBehind"], printer_item["dependsOnMode"]) == (ids["plc"], "any")
    assert detail["topology"] == plc_item
    counts = groups[0]["statusCounts"]
    assert (counts["up"], counts["down"], counts["unreachable"]) == (0, 1, 2)
    assert sorted(item["status"] for item in live) == ["down", "unreachable", "unreachable"]


async def test_an_endpoint_outside_any_dependency_has_no_topology(tmp_path: Path) -> None:
    switch = TcpListener()
    await switch.start()
    text = f"""
version: 1
groups: [{{id: plant, name: Plant}}]
targets: [{{name: switch, type: tcp, host: 127.0.0.1, port: {switch.port}, group: plant}}]
"""
    async with running_pulse(text, tmp_path) as server:
        switch_id = server.pulse.config.endpoints[0].id
        async with server.client() as client:
            detail = (await client.get(f"/api/endpoints/{switch_id}")).json()
            items = (await client.get("/api/topology")).json()["items"]
    await switch.stop()
    assert detail["topology"] is None and items == []
