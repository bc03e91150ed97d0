"""The opcua and enip probes as Pulse loads and runs them, against real servers on loopback:
``pulse once --json``, and a running Pulse's ``GET /api/endpoints/{id}`` details."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually

PLUGINS = Path(__file__).parents[1] / "plugins"
# The servers the two plugins test themselves against, rather than copies of them.
sys.path[:0] = [str(PLUGINS / "pulse-probe-opcua/tests"), str(PLUGINS / "pulse-probe-enip/tests")]

from enip_devices import PRODUCT_NAME, SERIAL_NUMBER, SimulatedDevice  # noqa: E402
from opcua_servers import PATH, SPEED, SPEED_VALUE, OpcuaServer  # noqa: E402


@pytest.mark.asyncio
async def test_once_gives_each_opcua_and_enip_target_its_verdict(tmp_path: Path) -> None:
    opcua = OpcuaServer()
    await opcua.start()
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    drive, other_drive = SimulatedDevice(tmp_path / "a"), SimulatedDevice(tmp_path / "b")
    config = tmp_path / "pulse.yaml"
    config.write_text(textwrap.dedent(f"""\
        version: 1
        defaults: {{timeout_ms: 2000, retries: 0}}
        groups: [{{id: line-1, name: Line 1}}]
        targets:
          - {{type: opcua, name: line-plc, host: 127.0.0.1, port: {opcua.port}, path: {PATH},
             group: line-1, nodes: [{{node: "{SPEED}", min: 1000}}]}}
          - {{type: opcua, name: gone-plc, host: 127.0.0.1, port: {free_tcp_port()},
             group: line-1}}
          - {{type: enip, name: drive, host: 127.0.0.1, port: {drive.port}, group: line-1,
             product_name: {PRODUCT_NAME}}}
          - {{type: enip, name: swapped-drive, host: 127.0.0.1, port: {other_drive.port},
             group: line-1, product_name: PowerFlex 525}}
    """))
    try:
        drive.start()
        other_drive.start()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "pulse_core.cli", "once", "--config", str(config), "--json",
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        stdout, stderr = await process.communicate()
    finally:
        drive.stop()
        other_drive.stop()
        await opcua.stop()
    assert process.returncode == 1, stderr.decode()  # two are down
    verdicts = {row["name"]: (row["type"], row["status"], row["error"]) for row in json.loads(stdout)}
    assert verdicts == {
        "line-plc": ("opcua", "up", None),
        "gone-plc": ("opcua", "down", "connection refused"),
        "drive": ("enip", "up", None),
        "swapped-drive": (
            "enip", "down", f"expected product 'PowerFlex 525', found '{PRODUCT_NAME}'"
        ),
    }


@pytest.mark.asyncio
async def test_the_api_shows_what_the_latest_check_read(tmp_path: Path) -> None:
    opcua = OpcuaServer()
    await opcua.start()
    drive = SimulatedDevice(tmp_path)
    drive.start()
    config = textwrap.dedent(f"""\
        version: 1
        defaults: {{interval_seconds: 1, timeout_ms: 2000}}
        groups: [{{id: line-1, name: Line 1}}]
        targets:
          - {{type: opcua, name: line-plc, host: 127.0.0.1, port: {opcua.port}, path: {PATH},
             group: line-1, nodes: ["{SPEED}"]}}
          - {{type: enip, name: drive, host: 127.0.0.1, port: {drive.port}, group: line-1}}
    """)
    try:
        async with running_pulse(config, tmp_path) as server:
            ids = {endpoint.name: endpoint.id for endpoint in server.pulse.config.endpoints}
            async with server.client() as client:

                async def details(name: str) -> dict[str, Any] | None:
                    reply = await client.get(f"/api/endpoints/{ids[name]}")
                    assert reply.status_code == 200, reply.text
                    found: dict[str, Any] = reply.json()["details"]
                    return found or None

                plc = await eventually(lambda: details("line-plc"))
                drive_details = await eventually(lambda: details("drive"))
    finally:
        drive.stop()
        await opcua.stop()
    assert plc == {"server_state": "Running", "values": {SPEED: SPEED_VALUE}}
    assert drive_details["product_name"] == PRODUCT_NAME
    assert drive_details["serial_number"] == f"0x{SERIAL_NUMBER:08x}"
