"""``pulse run`` as a service manager runs it, stopped by SIGTERM while a WebSocket and an SSE
client are connected and checks flow: for the test of a clean stop and for the benchmark
that times it."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedOK

from pulse_core.testing.waiting import eventually

STOP_LINE = re.compile(r"stopped: (\d+) checks taken, (\d+) written")


@dataclass(frozen=True)
class Stopped:
    returncode: int
    log: str
    #: from SIGTERM to the process's exit
    seconds: float
    #: the stop line's figures, ``None`` without a stop line
    taken: int | None
    written: int | None


def pulse_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pulse_core.cli", *args]


def create_api_key(config: Path) -> str:
    """A viewer's API key, made as an operator makes one, with ``pulse apikey create``."""
    created = subprocess.run(
        pulse_command("apikey", "create", "--config", str(config), "--name", "live"),
        capture_output=True, text=True, check=True, timeout=60,
    )
    return created.stdout.split()[0]


async def run_then_stop(config: Path, port: int, exit_within_s: float) -> Stopped:
    """Start ``pulse run`` with ``config`` (serving on loopback ``port``), wait until it has
    written checks, connect a WebSocket and an SSE client, send SIGTERM and wait for both
    streams to end (cleanly: a close frame, the end of the stream) and the process to exit."""
    key = create_api_key(config)
    process = await asyncio.create_subprocess_exec(
        *pulse_command("run", "--config", str(config)),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=None) as client:

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
                await socket.recv()  # the snapshot
                lines = events.aiter_lines()
                await anext(lines)  # the snapshot's id line
                process.send_signal(signal.SIGTERM)
                signalled = time.monotonic()
                with contextlib.suppress(ConnectionClosedOK):
                    while True:
                        await socket.recv()
                async for _ in lines:
                    pass
            output, _ = await asyncio.wait_for(process.communicate(), exit_within_s)
            seconds = time.monotonic() - signalled
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = output.decode()
    stop_line = STOP_LINE.search(log)
    taken, written = (int(stop_line[1]), int(stop_line[2])) if stop_line else (None, None)
    assert process.returncode is not None
    return Stopped(process.returncode, log, seconds, taken, written)
