"""Any node answers for the whole cluster: a configuration applied through one node runs on
every other within two seconds, and a status change of an endpoint another node probes
reaches the push clients of this one."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from pulse_core.app import load_plugins, open_config
from pulse_core.cluster.ownership import Member, Ownership
from pulse_core.testing.postgresql import postgresql_schema

from .kit import (
    Listener,
    admin_key,
    cluster_yaml,
    icmp_targets,
    nodes,
    wait_for,
)
from .test_cluster import shares

pytestmark = pytest.mark.asyncio


async def test_a_change_through_one_node_runs_on_the_others_and_pushes_reach_every_node(
    tmp_path: Path,
) -> None:
    with postgresql_schema() as url, Listener() as plc:
        plc_target = {"type": "tcp", "group": "plant", "host": "127.0.0.1", "port": plc.port,
                      "name": "PLC"}
        text = cluster_yaml(url, [*icmp_targets(30), plc_target])
        with nodes(tmp_path, text, "a", "b", "c") as running:
            wait_for(lambda: len(shares([n.text() for n in running], 3)) == 3, 40, "sharing")
            key = admin_key(tmp_path / "pulse.yaml")
            headers = {"Authorization": f"Bearer {key}"}
            config = open_config(tmp_path / "pulse.yaml", load_plugins())
            plc_endpoint = next(ep for ep in config.endpoints if ep.name == "PLC")
            owner = Ownership([Member(n.name, "main") for n in running], "main").owner(
                plc_endpoint
            )
            watcher = next(n for n in running if n.name != owner)

            socket_url = watcher.url.replace("http://", "ws://") + "/api/ws/status?snapshot=false"
            async with connect(socket_url, additional_headers=headers) as socket:
                plc.stop()
                update = await _update_of(socket, plc_endpoint.id, timeout_s=20)
            assert update["data"]["status"] == "offline"

            grown = text.replace(
                "targets:\n",
                "targets:\n- type: icmp\n  group: plant\n  host: 127.0.9.1\n  name: New PLC\n",
            )
            async with httpx.AsyncClient(headers=headers) as client:
                answer = await client.post(
                    f"{running[0].url}/api/configuration/apply", content=grown,
                    headers={"Content-Type": "application/yaml"},
                )
                assert answer.status_code == 200, answer.text
                applied = time.monotonic()
                late: dict[str, float] = {}
                for node in running[1:]:
                    while True:
                        live = await client.get(f"{node.url}/api/status/live")
                        names = {item["endpoint"]["name"] for item in live.json()["items"]}
                        if "New PLC" in names:
                            late[node.name] = time.monotonic() - applied
                            break
                        assert time.monotonic() - applied < 10, f"{node.name} never ran it"
                        await asyncio.sleep(0.05)
                # a node started again on its own (now different) file runs the cluster's
                # version and says so
                restarted = running[2]
                restarted.stop()
                restarted.config = tmp_path / "own.yaml"
                restarted.config.write_text(text)  # the file as it was before the change
                restarted.start()
                wait_for(lambda: "differs from the cluster's current configuration" in
                         restarted.text(), 30, "the restarted node's warning")
                wait_for(lambda: "New PLC" in _text_of(f"{restarted.url}/api/status/live", headers),
                         30, "the restarted node running the cluster's version")
                nodes_seen = (await client.get(f"{restarted.url}/api/cluster")).json()["nodes"]
                me = next(node for node in nodes_seen if node["name"] == restarted.name)
                assert me["address"] == f"127.0.0.1:{restarted.port}"
    assert all(seconds <= 2.0 for seconds in late.values()), late


def _text_of(url: str, headers: dict[str, str]) -> str:
    """The answer's text, or nothing while the server does not listen yet."""
    try:
        return httpx.get(url, headers=headers).text
    except httpx.ConnectError:
        return ""


async def _update_of(socket: object, endpoint_id: str, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        message = json.loads(
            await asyncio.wait_for(socket.recv(), max(0.1, deadline - time.monotonic()))  # type: ignore[attr-defined]
        )
        if message.get("type") == "status_update" and message["data"]["endpointId"] == endpoint_id:
            return message
