"""``GET /api/cluster`` on a single-node store: this node alone, owning every endpoint."""

from __future__ import annotations

from pathlib import Path

import httpx

from pulse_core import __version__
from pulse_core.contract.access import Role
from pulse_core.testing.accounts import key_headers
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually
from pulse_core.web.serialize import iso


def config(port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups:
  - {{id: plant, name: Plant}}
  - {{id: north-hall, name: North hall, site: north}}
targets:
  - {{type: tcp, host: 127.0.0.1, port: {port}, group: plant, name: PLC 1}}
  - {{type: tcp, host: 127.0.0.2, port: {port}, group: plant, name: PLC 2}}
  - {{type: tcp, host: 127.0.0.3, port: {port}, group: north-hall, name: Press}}
cluster: {{node_name: edge-1, site: south}}
"""


async def test_a_single_node_lists_itself_owning_every_endpoint(tmp_path: Path) -> None:
    plc = TcpListener()
    await plc.start()
    async with running_pulse(config(plc.port), tmp_path) as server:
        pulse = server.pulse
        viewer = await key_headers(server, Role.VIEWER)
        async with httpx.AsyncClient(base_url=server.base_url, headers=viewer) as client:

            async def once_checks_ran() -> dict[str, object] | None:
                reply = await client.get("/api/cluster")
                assert reply.status_code == 200
                body = reply.json()
                return body if body["nodes"][0]["checksPerSecond"] > 0 else None

            body = await eventually(once_checks_ran)
        server_settings = pulse.config.server
        endpoints = pulse.endpoints()
        started_ts = pulse.started_ts
    await plc.stop()

    assert (body["clustered"], body["node"], body["site"]) == (False, "edge-1", "south")
    assert body["defaultSite"] == "main"
    (node,) = body["nodes"]
    assert node == {
        "name": "edge-1",
        "site": "south",
        "alive": True,
        "epoch": None,
        "joinedAt": iso(started_ts),
        "heartbeatAt": None,
        "leaseAgeSeconds": None,
        "endpointsOwned": len(endpoints),
        "checksPerSecond": node["checksPerSecond"],
        "version": __version__,
        "address": f"{server_settings.host}:{server_settings.port}",
    }
    by_site = {site["site"]: site for site in body["sites"]}
    assert list(by_site) == ["main", "north", "south"]
    assert by_site["main"] == {"site": "main", "liveNodes": 0, "endpoints": 2, "reachable": True}
    assert by_site["north"] == {"site": "north", "liveNodes": 0, "endpoints": 1, "reachable": True}
    assert by_site["south"] == {"site": "south", "liveNodes": 1, "endpoints": 0, "reachable": True}


async def test_the_cluster_needs_a_signed_in_caller(tmp_path: Path) -> None:
    async with running_pulse(config(9), tmp_path) as server:
        async with server.client(authenticated=False) as client:
            anonymous = await client.get("/api/cluster")

    assert anonymous.status_code == 401
