"""Runs the Node SDK's own tests (``node --test``) against a real Pulse, so the README's single
pytest command covers the Node SDK too."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse

NODE_TESTS = Path(__file__).parent
NODE = shutil.which("node")


@pytest.fixture
def plc(tcp_listener: TcpListener) -> TcpListener:
    """The plant's PLC: the shared loopback listener (``pulse_core.testing.fixtures``)."""
    return tcp_listener


def plant_config(plc_port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups: [{{id: plant, name: Plant}}]
targets:
  - {{type: tcp, host: 127.0.0.1, port: {plc_port}, group: plant, name: PLC Press}}
"""


async def admin_environment(server: RunningPulse) -> dict[str, str]:
    """The environment the Node tests read (``helpers.js``): Pulse's URL and an
    administrator's credentials, the administrator made here."""
    await add_user(server, "admin", Role.ADMIN, "password")
    return {
        **os.environ,
        "PULSE_URL": server.base_url,
        "PULSE_USERNAME": "admin",
        "PULSE_PASSWORD": "password",
    }


@pytest.mark.skipif(NODE is None, reason="Node.js (20 or newer) is not installed")
async def test_node_sdk_passes_its_tests(plc: TcpListener, tmp_path: Path) -> None:
    async with running_pulse(plant_config(plc.port), tmp_path) as server:
        environment = await admin_environment(server)
        report = await node_tests(sorted(NODE_TESTS.glob("*.test.js")), environment)
    assert "# fail 0" in report and "# skipped 0" in report, report


async def node_tests(files: list[Path], environment: dict[str, str]) -> str:
    """``node --test`` on ``files``; its report, once it has passed."""
    node = await asyncio.create_subprocess_exec(
        str(NODE), "--test", *map(str, files),
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(node.communicate(), 180)
    report = output.decode()
    assert node.returncode == 0, report
    return report
