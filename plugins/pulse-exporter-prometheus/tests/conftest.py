"""A Pulse with endpoints that are up (a listener), down (a refused port), many (a CIDR
block), odd names and a name used twice, for every test of the exporter."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse

ODD_NAMES = ('say "hi"', "back\\slash", "Ünïcødé ☃ 東京", "twice", "twice")


@pytest.fixture
def promtool_lint() -> Callable[[bytes], None]:
    """Fails the test unless ``promtool check metrics`` passes a scrape's body."""

    def lint(body: bytes) -> None:
        checked = subprocess.run(
            ["promtool", "check", "metrics"], input=body, check=False, capture_output=True,
            timeout=60,
        )
        assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()

    return lint


@pytest.fixture
def odd_names() -> tuple[str, ...]:
    return ODD_NAMES


@pytest.fixture
def exporter_config(tcp_listener: TcpListener) -> str:
    """YAML (as JSON, which YAML reads) with one up endpoint, one down, a /26 block of down
    ones and endpoints named with quotes, backslashes, unicode and a repeated name."""
    refused = free_tcp_port()
    targets = [
        {"type": "tcp", "name": "listener", "host": "127.0.0.1", "port": tcp_listener.port,
         "group": "network"},
        {"type": "tcp", "name": "refused", "host": "127.0.0.1", "port": refused, "group": "servers"},
        {"type": "tcp", "name": "block", "cidr": "127.0.2.0/26", "port": refused,
         "group": "servers", "interval_seconds": 3600},
        *(
            {"type": "tcp", "name": name, "host": f"127.0.3.{index + 1}", "port": refused,
             "group": "odd-names", "interval_seconds": 3600}
            for index, name in enumerate(ODD_NAMES)
        ),
    ]
    return json.dumps({
        "version": 1,
        "defaults": {"interval_seconds": 1, "timeout_ms": 500, "retries": 0},
        "groups": [
            {"id": "network", "name": "Network"},
            {"id": "servers", "name": "Servers"},
            {"id": "odd-names", "name": 'Odd "names" \\ ☃'},
        ],
        "targets": targets,
    })


@pytest_asyncio.fixture
async def exporter_server(exporter_config: str, tmp_path: Path) -> AsyncIterator[RunningPulse]:
    """The Pulse of ``exporter_config``, running, once "listener" and "refused" were checked."""
    async with running_pulse(exporter_config, tmp_path) as server:
        deadline = time.monotonic() + 15
        while any(
            state.last is None
            for state in server.pulse.monitor.states.values()
            if state.endpoint.name in ("listener", "refused")
        ):
            assert time.monotonic() < deadline, "the first checks did not happen in 15 s"
            await asyncio.sleep(0.05)
        yield server
