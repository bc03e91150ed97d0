"""The ``push:`` settings are bounded: a client queue of 10^12 messages would never drop a
slow client, and a heartbeat of a microsecond would keep every SSE stream busy. An apply
through the API is checked like the file at start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pulse_core.testing.server import RunningPulse, running_pulse

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant, name: PLC}]
"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(CONFIG, tmp_path) as running:
        yield running


async def dry_run_errors(server: RunningPulse, push: str) -> dict[str, str]:
    """The configuration errors of a dry run of ``CONFIG`` with ``push: {push}``, by path."""
    async with server.client() as client:
        reply = await client.post(
            "/api/configuration/apply", params={"dryRun": "true"},
            content=f"{CONFIG}push: {{{push}}}\n", headers={"Content-Type": "application/yaml"},
        )
    if reply.status_code == 200:
        return {}
    assert reply.status_code == 400, reply.text
    return {error["path"]: error["message"] for error in reply.json()["errors"]}


@pytest.mark.parametrize(
    ("push", "path", "message"),
    [
        ("client_queue_size: 1000000000000", "push.client_queue_size",
         "must be at most 65536"),
        ("client_queue_size: 0", "push.client_queue_size", "must be at least 1"),
        ("heartbeat_seconds: 0.000001", "push.heartbeat_seconds",
         "must be at least 1"),
        ("heartbeat_seconds: 86400", "push.heartbeat_seconds",
         "must be at most 3600"),
    ],
)
async def test_push_settings_out_of_bounds_are_configuration_errors(
    server: RunningPulse, push: str, path: str, message: str
) -> None:
    assert await dry_run_errors(server, push) == {path: message}


async def test_push_settings_at_their_bounds_are_taken(server: RunningPulse) -> None:
    assert await dry_run_errors(server, "client_queue_size: 65536, heartbeat_seconds: 1") == {}
    assert await dry_run_errors(server, "client_queue_size: 1, heartbeat_seconds: 3600") == {}
