"""``GET /api/status/live`` against a real server whose checks hit real loopback sockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest

from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.waiting import eventually

#: the fields of docs/api.md, plus the address the dashboard shows; the detail route has the rest
ENDPOINT_KEYS = {
    "id", "name", "group", "type", "host", "port", "address", "httpPath", "httpMatch",
    "intervalSeconds", "timeoutMs", "retries", "enabled",
}


def plant_config(plc_port: int) -> str:
    """Groups sort as Line 1 (0), Office (0), Plant (1); Line 1 is a child of Plant."""
    closed = free_tcp_port()
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups:
  - {{id: plant, name: Plant, sort_order: 1}}
  - {{id: line-1, name: Line 1, parent_id: plant}}
  - {{id: office, name: Office, color: "#00ff00"}}
targets:
  - {{type: tcp, host: 127.0.0.1, port: {plc_port}, group: line-1, name: PLC Press}}
  - {{type: tcp, host: 127.0.0.1, port: {closed}, group: plant, name: Historian}}
  - {{type: tcp, host: 127.0.0.2, port: {closed}, group: office, name: Badge Reader}}
"""


@pytest.fixture
def plc(tcp_listener: TcpListener) -> TcpListener:
    """The plant's PLC: the shared loopback listener (``pulse_core.testing.fixtures``)."""
    return tcp_listener


@pytest.fixture
async def server(plc: TcpListener, tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(plant_config(plc.port), tmp_path) as running:
        yield running


async def live(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    reply = await client.get("/api/status/live", params=params)
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def by_name(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in items if item["endpoint"]["name"] == name)


async def test_live_status_follows_a_real_outage(server: RunningPulse, plc: TcpListener) -> None:
    async with server.client() as client:

        async def plc_with(status: str, spark: str) -> dict[str, Any] | None:
            item = by_name(await live(client), "PLC Press")
            points = item["sparkline"]
            fits = item["status"] == status and len(points) >= 2 and points[-1]["s"] == spark
            return item if fits else None

        up = await eventually(lambda: plc_with("up", "u"))
        assert isinstance(up["rttMs"], float) and up["rttMs"] >= 0
        assert up["lastChangeTs"].endswith("Z")
        assert {point["s"] for point in up["sparkline"]} == {"u"}
        assert up["sparkline"] == sorted(up["sparkline"], key=lambda point: point["ts"])

        await plc.stop()
        down = await eventually(lambda: plc_with("down", "d"))
        assert down["lastChangeTs"] > up["lastChangeTs"]
        assert down["sparkline"][0]["s"] == "u"
        historian = by_name(await live(client), "Historian")
        assert historian["status"] == "down" and historian["rttMs"] is None


async def test_items_carry_the_endpoint_and_follow_group_then_name_order(server: RunningPulse) -> None:
    async with server.client() as client:
        items = await live(client)
    assert [item["endpoint"]["name"] for item in items] == ["PLC Press", "Badge Reader", "Historian"]
    badge = items[1]["endpoint"]
    assert set(badge) == ENDPOINT_KEYS
    assert badge["group"] == {"id": "office", "name": "Office", "parentId": None, "color": "#00ff00"}
    assert (badge["type"], badge["host"], badge["intervalSeconds"], badge["enabled"]) == (
        "tcp", "127.0.0.2", 1.0, True
    )
    assert {item["status"] for item in items} <= {"up", "down", "flapping"}


async def test_group_filter_includes_child_groups(server: RunningPulse) -> None:
    async with server.client() as client:
        plant = await live(client, group="plant")
        line = await live(client, group="line-1")
        unknown = await client.get("/api/status/live", params={"group": "nowhere"})
    assert [item["endpoint"]["name"] for item in plant] == ["PLC Press", "Historian"]
    assert [item["endpoint"]["name"] for item in line] == ["PLC Press"]
    assert unknown.status_code == 400
    assert "nowhere" in unknown.json()["message"]


async def test_search_matches_name_host_and_address_ignoring_case(
    server: RunningPulse, plc: TcpListener
) -> None:
    async with server.client() as client:
        names = {
            term: [item["endpoint"]["name"] for item in await live(client, search=term)]
            for term in ("press", "127.0.0.2", f":{plc.port}", "no such thing")
        }
        combined = await live(client, group="plant", search="HIST")
    assert names == {
        "press": ["PLC Press"],
        "127.0.0.2": ["Badge Reader"],
        f":{plc.port}": ["PLC Press"],
        "no such thing": [],
    }
    assert [item["endpoint"]["name"] for item in combined] == ["Historian"]
