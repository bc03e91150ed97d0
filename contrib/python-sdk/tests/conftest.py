"""A real Pulse watching a real TCP listener, and a signed-in client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from pulse_client import PulseClient

from pulse_core.testing.accounts import add_user
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.web.access import Role

USERNAME, PASSWORD = "admin", "password"


def pulse_yaml(plc_port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups:
  - {{id: plant, name: Plant}}
  - {{id: office, name: Office}}
targets:
  - {{type: tcp, host: 127.0.0.1, port: {plc_port}, group: plant, name: PLC Press}}
"""


@pytest.fixture
def plc(tcp_listener: TcpListener) -> TcpListener:
    """The plant's PLC: the shared loopback listener (``pulse_core.testing.fixtures``)."""
    return tcp_listener


@pytest_asyncio.fixture
async def server(plc: TcpListener, tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(pulse_yaml(plc.port), tmp_path) as running:
        await add_user(running, USERNAME, Role.ADMIN, PASSWORD)
        yield running


@pytest.fixture
def client(server: RunningPulse) -> Iterator[PulseClient]:
    """Signed in with HTTP Basic, as the seed's SDK example is. The client is synchronous:
    tests call it through ``asyncio.to_thread`` so the server in the test's loop can answer."""
    with PulseClient(server.base_url, username=USERNAME, password=PASSWORD) as client:
        yield client
