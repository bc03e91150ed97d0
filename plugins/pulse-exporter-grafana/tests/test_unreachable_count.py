"""``status_count`` counts endpoints unreachable behind a dead switch (``depends_on``,
docs/topology.md) under the word ``unreachable``, and the query editor offers it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.waiting import eventually


def plant(switch: TcpListener, plc: TcpListener) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500, retries: 0}}
groups: [{{id: plant, name: Plant}}]
targets:
  - {{name: switch, type: tcp, host: 127.0.0.1, port: {switch.port}, group: plant}}
  - {{name: plc, type: tcp, host: 127.0.0.1, port: {plc.port}, group: plant, depends_on: switch}}
"""


async def count(server: RunningPulse, status: str) -> int:
    body = {"targets": [{"refId": "A", "target": "status_count", "payload": {"status": status}}]}
    async with server.client() as client:
        reply = await client.post("/api/grafana/query", json=body)
    assert reply.status_code == 200, reply.text
    (answer,) = reply.json()
    assert answer["target"] == f"All endpoints {status}"
    points: list[list[Any]] = answer["datapoints"]
    return int(points[0][0])


async def test_status_count_of_unreachable_endpoints(tmp_path: Path) -> None:
    switch, plc = TcpListener(), TcpListener()
    async with running_pulse(plant(switch, plc), tmp_path) as server:

        async def cut_off() -> int | None:
            unreachable = await count(server, "unreachable")
            return unreachable if unreachable and await count(server, "offline") else None

        assert await eventually(cut_off) == 1
        async with server.client() as client:
            options = (await client.post(
                "/api/grafana/metric-payload-options",
                json={"metric": "status_count", "name": "status", "payload": {}},
            )).json()
    assert {"label": "unreachable", "value": "unreachable"} in options
