"""``GET /api/groups`` and ``/api/groups/{id}``: counts cover child groups, statuses are live."""

from __future__ import annotations

from pathlib import Path

from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually


def config(open_port: int) -> str:
    closed = free_tcp_port()
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups:
  - {{id: plant, name: Plant}}
  - {{id: line-1, name: Line 1, parent_id: plant, sort_order: 2}}
  - {{id: line-2, name: Line 2, parent_id: plant, sort_order: 1}}
targets:
  - {{type: tcp, host: 127.0.0.1, port: {open_port}, group: line-1, name: PLC 1}}
  - {{type: tcp, host: 127.0.0.1, port: {closed}, group: line-2, name: PLC 2}}
  - {{type: tcp, host: 127.0.0.2, port: {closed}, group: plant, name: Historian}}
"""


async def test_groups_count_their_subtree_with_live_statuses(tmp_path: Path) -> None:
    plc = TcpListener()
    await plc.start()
    async with running_pulse(config(plc.port), tmp_path) as server:
        async with server.client() as client:

            async def plant_once_plc1_is_up() -> dict[str, object] | None:
                items = (await client.get("/api/groups")).json()["items"]
                plant = next(item for item in items if item["id"] == "plant")
                return items if plant["statusCounts"]["up"] == 1 else None

            items = await eventually(plant_once_plc1_is_up)
            detail = await client.get("/api/groups/plant")
            child = await client.get("/api/groups/line-2")
            missing = await client.get("/api/groups/nowhere")
    await plc.stop()

    assert [item["id"] for item in items] == ["plant", "line-2", "line-1"]
    plant, line_2, line_1 = items
    assert plant["endpointCount"] == 3
    assert plant["statusCounts"] == {"up": 1, "down": 2, "flapping": 0, "unreachable": 0, "unknown": 0}
    assert (line_1["endpointCount"], line_1["statusCounts"]["up"]) == (1, 1)
    assert (line_2["endpointCount"], line_2["statusCounts"]["down"]) == (1, 1)
    assert line_1["parentId"] == "plant" and line_1["sortOrder"] == 2

    body = detail.json()
    assert detail.status_code == 200 and body["name"] == "Plant" and body["endpointCount"] == 3
    assert [group["id"] for group in body["children"]] == ["line-2", "line-1"]
    assert child.json()["children"] == []
    assert missing.status_code == 404 and missing.json() == {"message": "group 'nowhere' not found"}
