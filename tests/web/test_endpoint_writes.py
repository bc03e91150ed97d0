"""The write API of the client libraries: ``POST /api/endpoints``, ``PUT`` and ``DELETE
/api/endpoints/{id}``, each a new configuration version whose YAML holds the change, against a
real server checking real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulse_core.contract.access import Role
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.waiting import eventually
from pulse_core.web.auth.provisioning import issue_api_key


def startup_config(plc_port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups:
  - {{id: plant, name: Plant}}
  - {{id: office, name: Office}}
targets:
  - {{type: tcp, host: 127.0.0.1, port: {plc_port}, group: plant, name: PLC Press}}
  - {{type: icmp, cidr: 127.0.3.0/30, group: office, name: Printers}}
"""


@pytest.fixture
def plc(tcp_listener: TcpListener) -> TcpListener:
    """The plant's PLC: the shared loopback listener (``pulse_core.testing.fixtures``)."""
    return tcp_listener


@pytest.fixture
async def server(plc: TcpListener, tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(startup_config(plc.port), tmp_path) as running:
        yield running


async def current_yaml(client: httpx.AsyncClient) -> str:
    return (await client.get("/api/configuration/current")).text


async def live_item(client: httpx.AsyncClient, endpoint_id: str) -> dict[str, Any] | None:
    items = (await client.get("/api/status/live")).json()["items"]
    return next((item for item in items if item["endpoint"]["id"] == endpoint_id), None)


def endpoint_named(server: RunningPulse, name: str) -> str:
    return next(ep.id for ep in server.pulse.config.endpoints if ep.name == name)


async def test_a_created_endpoint_is_in_the_yaml_and_checked(server: RunningPulse) -> None:
    scada = TcpListener(host="127.0.0.2")
    await scada.start()
    try:
        async with server.client() as client:
            reply = await client.post("/api/endpoints", json={
                "name": "SCADA Server", "address": "127.0.0.2", "type": "tcp",
                "port": scada.port, "intervalSeconds": 2,
            })
            assert reply.status_code == 201, reply.text
            created = reply.json()

            async def up() -> dict[str, Any] | None:
                item = await live_item(client, created["id"])
                return item if item is not None and item["status"] == "up" else None

            await eventually(up)
            text = await current_yaml(client)
            versions = (await client.get("/api/configuration/versions")).json()["items"]
    finally:
        await scada.stop()
    assert reply.headers["location"] == f"/api/endpoints/{created['id']}"
    assert (created["name"], created["host"], created["port"]) == (
        "SCADA Server", "127.0.0.2", scada.port
    )
    assert created["group"]["id"] == "plant"  # the first group, since none was given
    assert created["intervalSeconds"] == 2
    assert created["configVersionId"] == versions[0]["id"] == 2
    assert versions[0]["note"] == "POST /api/endpoints"
    assert (
        f"- name: SCADA Server\n  type: tcp\n  host: 127.0.0.2\n  port: {scada.port}\n"
        "  group: plant\n  interval_seconds: 2\n"
    ) in text
    assert text == server.config_path.read_text()


async def test_snake_case_keys_and_host_are_accepted(server: RunningPulse) -> None:
    async with server.client() as client:
        reply = await client.post("/api/endpoints", json={
            "host": "127.0.0.4", "type": "icmp", "group": "office", "timeout_ms": 400,
            "notes": "spare HMI", "expected_rtt_ms": 5,
        })
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert (body["name"], body["timeoutMs"], body["notes"], body["expectedRttMs"]) == (
        "ICMP 127.0.0.4", 400, "spare HMI", 5
    )


async def test_numbers_are_numbers(server: RunningPulse) -> None:
    """``true`` is no port: read leniently it would be port 1, and ``"9"`` a string port."""
    async with server.client() as client:
        replies = [
            await client.post(
                "/api/endpoints", json={"address": "127.0.0.7", "type": "tcp", **wrong}
            )
            for wrong in ({"port": True}, {"port": "9"}, {"port": 9, "retries": False})
        ]
        text = await current_yaml(client)
    assert [reply.status_code for reply in replies] == [400, 400, 400]
    assert "port" in replies[0].json()["message"] and "retries" in replies[2].json()["message"]
    assert "127.0.0.7" not in text


async def test_comments_in_the_yaml_survive_a_write(server: RunningPulse) -> None:
    commented = "# Plant monitoring: call OT before editing\n" + server.config_path.read_text()
    commented = commented.replace("targets:\n", "targets:  # one per device\n")
    async with server.client() as client:
        assert (await client.post("/api/configuration/apply", content=commented)).is_success
        await client.post("/api/endpoints", json={"address": "127.0.0.5", "type": "icmp"})
        text = await current_yaml(client)
    assert text.startswith("# Plant monitoring: call OT before editing\n")
    assert "targets:  # one per device\n" in text
    assert "host: 127.0.0.5" in text


async def test_an_invalid_endpoint_names_the_field(server: RunningPulse) -> None:
    async with server.client() as client:
        no_port = await client.post("/api/endpoints", json={"address": "127.0.0.6", "type": "tcp"})
        unknown_group = await client.post(
            "/api/endpoints", json={"address": "127.0.0.6", "type": "icmp", "group": "plnt"}
        )
        no_address = await client.post("/api/endpoints", json={"type": "icmp"})
        a_range = await client.post("/api/endpoints", json={"cidr": "10.0.0.0/24", "type": "icmp"})
        text = await current_yaml(client)
    assert no_port.status_code == 400
    assert no_port.json()["message"] == (
        "the endpoint is not valid: port: port is required for tcp targets"
    )
    assert no_port.json()["errors"][0]["field"] == "port"
    assert unknown_group.status_code == 400
    assert unknown_group.json()["errors"][0]["field"] == "group"
    assert "did you mean 'plant'?" in unknown_group.json()["errors"][0]["message"]
    assert no_address.status_code == 400 and "address is required" in no_address.json()["message"]
    assert a_range.status_code == 400
    assert "POST /api/configuration/apply" in a_range.json()["message"]
    assert "127.0.0.6" not in text


async def test_put_renames_and_keeps_the_id_and_history(server: RunningPulse) -> None:
    plc_id = endpoint_named(server, "PLC Press")

    async def checked() -> bool | None:
        await server.pulse.writer.flush()
        return True if await server.pulse.store.checks(plc_id, 0, 1e10) else None

    await eventually(checked)
    async with server.client() as client:
        reply = await client.put(f"/api/endpoints/{plc_id}",
                                 json={"name": "PLC Press 1", "notes": "line 1"})
        text = await current_yaml(client)
        history = (await client.get(f"/api/endpoints/{plc_id}")).json()
    assert reply.status_code == 200, reply.text
    assert (reply.json()["id"], reply.json()["name"]) == (plc_id, "PLC Press 1")
    assert "name: PLC Press 1" in text and "notes: line 1" in text
    assert history["endpoint"]["name"] == "PLC Press 1" and history["recent"]


async def test_put_of_a_new_address_makes_another_endpoint(
    server: RunningPulse, plc: TcpListener
) -> None:
    plc_id = endpoint_named(server, "PLC Press")
    async with server.client() as client:
        reply = await client.put(f"/api/endpoints/{plc_id}", json={"address": "127.0.0.7"})
        gone = await client.put(f"/api/endpoints/{plc_id}", json={"name": "x"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["id"] != plc_id and reply.json()["host"] == "127.0.0.7"
    assert reply.json()["name"] == "PLC Press"
    assert gone.status_code == 404


async def test_delete_removes_the_target(server: RunningPulse) -> None:
    plc_id = endpoint_named(server, "PLC Press")
    async with server.client() as client:
        reply = await client.delete(f"/api/endpoints/{plc_id}")
        text = await current_yaml(client)
        again = await client.delete(f"/api/endpoints/{plc_id}")
    assert reply.status_code == 200, reply.text
    assert [item["id"] for item in reply.json()["removed"]] == [plc_id]
    assert "PLC Press" not in text and "Printers" in text
    assert plc_id not in server.pulse.monitor.states
    assert again.status_code == 404


async def test_endpoints_of_a_range_are_edited_through_the_range(server: RunningPulse) -> None:
    printer_id = endpoint_named(server, "Printers 127.0.3.1")
    async with server.client() as client:
        put = await client.put(f"/api/endpoints/{printer_id}", json={"name": "Printer 1"})
        delete = await client.delete(f"/api/endpoints/{printer_id}")
    for reply in (put, delete):
        assert reply.status_code == 409
        assert reply.json()["message"] == (
            f"endpoint {printer_id} is one address of the cidr target '127.0.3.0/30' "
            "(targets[1]); edit that range in the YAML and apply it with "
            "POST /api/configuration/apply"
        )


async def test_the_last_target_cannot_be_deleted(server: RunningPulse) -> None:
    plc_id = endpoint_named(server, "PLC Press")
    text = server.config_path.read_text()
    only_plc = text[: text.index("- type: icmp")].rstrip() + "\n"
    async with server.client() as client:
        assert (await client.post("/api/configuration/apply", content=only_plc)).is_success
        reply = await client.delete(f"/api/endpoints/{plc_id}")
    assert reply.status_code == 409
    assert "needs at least one target" in reply.json()["message"]


async def test_concurrent_writes_are_all_kept(server: RunningPulse) -> None:
    async with server.client() as client:
        replies = await asyncio.gather(*(
            client.post("/api/endpoints", json={"address": f"127.0.1.{n}", "type": "icmp"})
            for n in range(1, 6)
        ))
        text = await current_yaml(client)
    assert [reply.status_code for reply in replies] == [201] * 5
    assert all(f"host: 127.0.1.{n}" in text for n in range(1, 6))


async def test_a_viewer_cannot_write(server: RunningPulse) -> None:
    plc_id = endpoint_named(server, "PLC Press")
    _, key = await issue_api_key(server.pulse.store, "wall screen", Role.VIEWER, None)
    viewer = {"Authorization": f"Bearer {key}"}
    async with server.client(authenticated=False) as client:
        created = await client.post("/api/endpoints", headers=viewer,
                                    json={"address": "127.0.0.8", "type": "icmp"})
        changed = await client.put(f"/api/endpoints/{plc_id}", headers=viewer, json={"name": "x"})
        deleted = await client.delete(f"/api/endpoints/{plc_id}", headers=viewer)
    assert [created.status_code, changed.status_code, deleted.status_code] == [403] * 3
    assert "127.0.0.8" not in server.config_path.read_text()


async def test_a_write_of_one_target_leaves_the_others_running_as_they_are(
    server: RunningPulse,
) -> None:
    """Only the written target is reloaded: every other endpoint stays the very object that
    runs (its state and its place in the schedule with it), the file holds the new text byte
    for byte, and a text with a problem in one target is still refused with its line and
    column, as the whole load words it."""
    async with server.client() as client:
        # the first write reads the layout of the running text; the second uses it
        first = await client.post("/api/endpoints", json={"address": "127.0.0.7", "type": "icmp"})
        assert first.status_code == 201, first.text
        before = {endpoint.id: endpoint for endpoint in server.pulse.config.endpoints}
        second = await client.post("/api/endpoints", json={"address": "127.0.0.8", "type": "icmp"})
        assert second.status_code == 201, second.text
        after = server.pulse.config.endpoints
        text = await current_yaml(client)
        broken = text.replace("host: 127.0.0.8", "host: 127.0.0.8\n  port: 70000")
        refused = await client.post("/api/configuration/apply", content=broken)

    assert [endpoint.id for endpoint in after] == [*before, second.json()["id"]]
    assert all(endpoint is before[endpoint.id] for endpoint in after[:-1])
    assert server.config_path.read_bytes() == text.encode()
    assert refused.status_code == 400
    (error,) = refused.json()["errors"]
    line = broken.splitlines().index("  port: 70000") + 1
    assert (error["path"], error["line"], error["column"]) == ("targets[3].port", line, 9)
