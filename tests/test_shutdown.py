"""``pulse run`` stopped by SIGTERM while live clients are connected and checks flow: it says
goodbye to the clients, writes and counts every check taken, and exits 0 without a
traceback. A real process, real clients, a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedOK

from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.waiting import eventually

CONFIG = """
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500, retries: 0}}
groups: [{{id: plant, name: Plant}}]
targets: [{{type: tcp, cidr: 127.0.6.0/26, port: 9, group: plant}}]
server: {{host: 127.0.0.1, port: {port}}}
storage: {{url: "sqlite:///{database}"}}
"""
STOP_LINE = re.compile(r"stopped: (\d+) checks taken, (\d+) written")
#: generous: the stop takes well under a second, but the machine is shared
EXIT_WITHIN_S = 15


def pulse_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pulse_core.cli", *args]


async def test_sigterm_with_live_clients_exits_cleanly_and_counts_every_check(
    tmp_path: Path,
) -> None:
    port, database = free_tcp_port(), tmp_path / "pulse.db"
    config = tmp_path / "pulse.yaml"
    config.write_text(CONFIG.format(port=port, database=database))
    key = subprocess.run(
        pulse_command("apikey", "create", "--config", str(config), "--name", "live"),
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split()[0]
    process = await asyncio.create_subprocess_exec(
        *pulse_command("run", "--config", str(config)),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=None) as client:

            async def first_write() -> str | None:
                """When checks were first written, once Pulse serves and has written some."""
                with contextlib.suppress(httpx.TransportError):
                    reply = await client.get("/api/health")
                    last_success: str | None = reply.json()["writes"]["lastSuccessAt"]
                    return last_success
                return None

            await eventually(first_write, timeout_s=60)
            async with (
                connect(f"ws://127.0.0.1:{port}/api/ws/status?token={key}") as socket,
                client.stream("GET", f"/api/events/status?token={key}") as events,
            ):
                assert '"snapshot"' in str(await socket.recv())
                lines = events.aiter_lines()
                assert (await anext(lines)).startswith("id: ")
                process.send_signal(signal.SIGTERM)
                try:
                    while True:
                        await socket.recv()
                except ConnectionClosedOK:
                    pass  # a clean close from the server
                async for _ in lines:  # the stream ends, not the connection with an error
                    pass
            output, _ = await asyncio.wait_for(process.communicate(), EXIT_WITHIN_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    log = output.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log, log
    stop_line = STOP_LINE.search(log)
    assert stop_line is not None, log
    taken, written = int(stop_line[1]), int(stop_line[2])
    with contextlib.closing(sqlite3.connect(database)) as stored:
        (rows,) = stored.execute("SELECT count(*) FROM checks").fetchone()
    assert taken == written == rows > 0
