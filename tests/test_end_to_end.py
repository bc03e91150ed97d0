"""``pulse run`` as a user runs it, against real targets on loopback.

A real process monitors ICMP on 127.x addresses, a TCP listener this test switches off and on,
a closed port, and an HTTP server whose body matches one target and not another; the test
reads what happened from the same SQLite database, through the store plugin.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Awaitable, Callable, Iterator, TypeVar

import httpx
import pytest
from pulse_store_sql import SqlStore

from pulse_core.models import CheckStatus, Outage
from pulse_core.testing.listeners import TcpListener, free_tcp_port

T = TypeVar("T")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="ICMP needs root here")


class ReadyHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 — the name http.server looks for
        body = b"<html><body>Line 3 READY</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ReadyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def write_config(path: Path, db: Path, tcp_port: int, closed_port: int, http_port: int,
                 api_port: int) -> None:
    path.write_text(textwrap.dedent(f"""\
        version: 1
        defaults:
          interval_seconds: 1
          timeout_ms: 500
          retries: 0
        groups:
          - id: plant
            name: Plant
          - id: press-shop
            name: Press shop
            parent_id: plant
        targets:
          - type: icmp
            name: loopback pair
            cidr: 127.0.3.0/31
            group: plant
          - type: tcp
            name: press PLC
            host: 127.0.0.1
            port: {tcp_port}
            group: press-shop
          - type: tcp
            name: nobody home
            host: 127.0.0.1
            port: {closed_port}
            group: press-shop
          - type: http
            name: line HMI
            host: 127.0.0.1
            port: {http_port}
            http_path: /status
            http_match: ready
            group: press-shop
          - type: http
            name: line HMI (wrong text)
            host: 127.0.0.1
            port: {http_port}
            http_path: /status?second
            http_match: stopped
            group: press-shop
        server:
          host: 127.0.0.1
          port: {api_port}
        storage:
          url: sqlite:///{db}
    """))


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout_s: float = 20.0) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(0.2)


class PulseProcess:
    def __init__(self, config: Path) -> None:
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulse_core.cli", "run", "--config", str(self.config)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )

    def stop(self) -> str:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=30)
        code = self.process.returncode
        self.process = None
        assert code == 0, output.decode()
        return output.decode()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def layout(tmp_path: Path, http_server: int) -> Iterator[tuple[Path, Path, TcpListener, int]]:
    listener = TcpListener()
    api_port = free_tcp_port()
    config, db = tmp_path / "pulse.yaml", tmp_path / "pulse.db"
    write_config(config, db, listener.port, free_tcp_port(), http_server, api_port)
    yield config, db, listener, api_port


async def open_store(db: Path) -> SqlStore:
    store = SqlStore(f"sqlite:///{db}")
    await store.open()
    return store


async def test_pulse_run_detects_an_outage_and_its_recovery(layout) -> None:  # type: ignore[no-untyped-def]
    config, db, listener, api_port = layout
    await listener.start()
    pulse = PulseProcess(config)
    pulse.start()
    store = None
    try:
        async def health() -> dict | None:
            try:
                async with httpx.AsyncClient() as client:
                    reply = await client.get(f"http://127.0.0.1:{api_port}/api/health")
                return reply.json() if reply.status_code == 200 else None
            except httpx.HTTPError:
                return None

        assert (await eventually(health))["status"] == "ok"
        store = await open_store(db)
        ids = {ep.name: ep.id for ep in await _endpoints(config)}
        plc = ids["press PLC"]

        async def snapshot_state(endpoint_id: str, wanted: str):  # type: ignore[no-untyped-def]
            snapshot = (await store.load_snapshots()).get(endpoint_id)
            return snapshot if snapshot and snapshot.state.value == wanted else None

        await eventually(lambda: snapshot_state(plc, "up"))
        await listener.stop()
        opened = (await eventually(lambda: snapshot_state(plc, "down"))).open_outage
        assert opened is not None and opened.ended_ts is None
        assert opened.last_error == "connection refused"

        await listener.start()
        await eventually(lambda: snapshot_state(plc, "up"))

        async def closed_outage() -> Outage | None:
            found = await store.outages(plc, 0, time.time() + 60)
            return found[0] if found and found[0].ended_ts is not None else None

        outage = await eventually(closed_outage)
        assert outage.started_ts == opened.started_ts
        assert outage.duration_s is not None and outage.duration_s >= 1.0

        async def latest(name: str):  # type: ignore[no-untyped-def]
            checks = await store.checks(ids[name], 0, time.time() + 60, limit=1)
            return checks[-1] if checks else None

        for name in ["loopback pair 127.0.3.0", "loopback pair 127.0.3.1", "line HMI"]:
            check = await eventually(lambda: latest(name))
            assert check.status is CheckStatus.UP, (name, check)
        refused = await eventually(lambda: latest("nobody home"))
        assert (refused.status, refused.error) == (CheckStatus.DOWN, "connection refused")
        mismatch = await eventually(lambda: latest("line HMI (wrong text)"))
        assert mismatch.status is CheckStatus.DOWN
        assert "stopped" in (mismatch.error or "")
        output = pulse.stop()
        # a line for each change (a few at once: up at the first checks too)
        assert "press PLC is up (was unknown)" in output
        assert "nobody home is down (was unknown): connection refused" in output
        assert "press PLC is down (was up): connection refused" in output
        assert "press PLC is up (was down)" in output
    finally:
        pulse.kill()
        if store is not None:
            await store.close()
        await listener.stop()


async def test_sigterm_flushes_pending_checks(layout) -> None:  # type: ignore[no-untyped-def]
    config, db, listener, api_port = layout
    pulse = PulseProcess(config)
    pulse.start()
    try:
        await asyncio.sleep(3.5)
        output = pulse.stop()
    finally:
        pulse.kill()
    assert "flushing pending writes" in output
    counts = re.search(r"stopped: (\d+) checks taken, (\d+) written", output)
    assert counts is not None, output
    taken, written = int(counts.group(1)), int(counts.group(2))
    assert taken == written > 0
    store = await open_store(db)
    try:
        stored = 0
        for endpoint in await _endpoints(config):
            stored += len(await store.checks(endpoint.id, 0, time.time()))
        assert stored == written  # every check taken before the stop is on disk
    finally:
        await store.close()


async def test_a_restart_after_a_long_gap_closes_the_open_outage(layout) -> None:  # type: ignore[no-untyped-def]
    config, db, listener, api_port = layout
    pulse = PulseProcess(config)
    store = await open_store(db)
    try:
        pulse.start()
        plc = next(ep.id for ep in await _endpoints(config) if ep.name == "press PLC")

        async def open_outage():  # type: ignore[no-untyped-def]
            snapshot = (await store.load_snapshots()).get(plc)
            return snapshot.open_outage if snapshot else None

        opened = await eventually(open_outage)
        pulse.stop()
        await asyncio.sleep(3.0)  # longer than 2.5 intervals of 1 s
        pulse.start()

        async def gap_closed() -> Outage | None:
            found = [o for o in await store.outages(plc, 0, time.time() + 60) if o.gap]
            return found[0] if found else None

        closed = await eventually(gap_closed)
        assert closed.started_ts == opened.started_ts
        assert closed.ended_ts is not None and closed.ended_ts < time.time() - 2.5
        pulse.stop()
    finally:
        pulse.kill()
        await store.close()


async def _endpoints(config: Path):  # type: ignore[no-untyped-def]
    from pulse_core.app import load_plugins, open_config

    return open_config(config, load_plugins()).endpoints
