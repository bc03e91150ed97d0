"""A running Pulse with a known history: router-01 was up nine checks in ten (round trips
11-19 ms), server-01 down all day, switch-01 has no history; one day of checks a minute,
starting at UTC midnight two days ago, with rollups computed and two outages stored."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio

from pulse_core.models import CheckResult, CheckStatus, Outage
from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse

DAY = 86400


@dataclass
class History:
    server: RunningPulse
    day_start: float
    ids: dict[str, str]

    def iso(self, offset_s: float) -> str:
        moment = time.gmtime(self.day_start + offset_s)
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", moment)


def router_check(endpoint_id: str, ts: float, minute: int) -> CheckResult:
    if minute % 10 == 0:
        return CheckResult(endpoint_id, ts, CheckStatus.DOWN, None, "connection refused")
    return CheckResult(endpoint_id, ts, CheckStatus.UP, 10.0 + minute % 10, None)


@pytest_asyncio.fixture
async def history(tcp_listener: TcpListener, tmp_path: Path) -> AsyncIterator[History]:
    refused = free_tcp_port()
    config = json.dumps({
        "version": 1,
        "defaults": {"interval_seconds": 1, "timeout_ms": 300, "retries": 0},
        "groups": [
            {"id": "network", "name": "Network"},
            {"id": "network-core", "name": "Core", "parent_id": "network"},
            {"id": "servers", "name": "Servers"},
        ],
        "targets": [
            {"type": "tcp", "name": "router-01", "host": "127.0.0.1", "port": tcp_listener.port,
             "group": "network"},
            {"type": "tcp", "name": "switch-01", "host": "localhost", "port": tcp_listener.port,
             "group": "network-core", "interval_seconds": 3600},
            {"type": "tcp", "name": "server-01", "host": "127.0.0.1", "port": refused,
             "group": "servers"},
        ],
    })
    async with running_pulse(config, tmp_path) as server:
        pulse = server.pulse
        ids = {ep.name: ep.id for ep in pulse.config.endpoints}
        day_start = (time.time() // DAY - 2) * DAY
        checks = []
        for minute in range(24 * 60):
            ts = day_start + minute * 60
            checks.append(router_check(ids["router-01"], ts, minute))
            checks.append(CheckResult(ids["server-01"], ts, CheckStatus.DOWN, None, "refused"))
        await pulse.store.write_checks(checks)
        await pulse.store.write_outages([
            Outage(ids["server-01"], day_start, day_start + DAY, "refused"),
            Outage(ids["router-01"], day_start + 3600, None, "connection refused"),
        ])
        while await pulse.store.update_rollups():
            pass
        yield History(server, day_start, ids)
