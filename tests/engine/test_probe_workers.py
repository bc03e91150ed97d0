"""Probing in worker processes: real workers, real probes, real servers on loopback.

The checks a worker makes must be the checks the main process would make: the same results,
retries counted once (here), an endpoint's new definition used as soon as the configuration
gives it (and one it no longer has failed, not checked), and a worker that dies replaced
without the monitor stopping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pulse_probe_http.options import HttpTargetOptions
from pulse_probe_http.probe import HttpProbe
from pulse_probe_tcp.probe import TcpProbe

from pulse_core.engine.checks import run_probe_many
from pulse_core.engine.workers.pool import (
    BadWorkerCount,
    ProbeWorkers,
    probe_workers_wanted,
    restart_pause,
)
from pulse_core.engine.workers.remote import RemoteProbe
from pulse_core.models import Endpoint, ProbeResult
from pulse_core.testing.listeners import TcpListener, free_tcp_port


class CountingHandler(BaseHTTPRequestHandler):
    """Answers ``/ok`` with 200 and anything else with 503, counting requests by path."""

    counts: dict[str, int] = {}

    def do_GET(self) -> None:  # noqa: N802 — the name http.server looks for
        self.counts[self.path] = self.counts.get(self.path, 0) + 1
        body = b"ok"
        self.send_response(200 if self.path == "/ok" else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[int, dict[str, int]]]:
    counts: dict[str, int] = {}
    handler = type("Handler", (CountingHandler,), {"counts": counts})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], counts
    server.shutdown()
    server.server_close()


@pytest.fixture
async def workers() -> AsyncIterator[ProbeWorkers]:
    pool = ProbeWorkers(2, {"tcp": TcpProbe, "http": HttpProbe}, os.environ)
    await pool.start()
    try:
        yield pool
    finally:
        await pool.close()


def tcp(host: str, port: int, **settings: object) -> Endpoint:
    fields = {"retries": 0, "timeout_ms": 1000, **settings}
    endpoint_id = f"tcp-{host}-{port}"
    return Endpoint(endpoint_id, "", "g", "tcp", host, port, **fields)  # type: ignore[arg-type]


def http(port: int, path: str, **settings: object) -> Endpoint:
    fields = {"retries": 0, "timeout_ms": 1000, **settings}
    return Endpoint(
        f"http-{path}", "", "g", "http", "127.0.0.1", port,
        options=HttpTargetOptions(http_path=path), **fields,  # type: ignore[arg-type]
    )


async def check(probe: RemoteProbe, endpoints: list[Endpoint]) -> list[ProbeResult]:
    """Every endpoint checked once as the monitor checks a batch (retries and guard here)."""
    results: dict[int, ProbeResult] = {}
    await run_probe_many(probe, endpoints, results.__setitem__)
    return [results[index] for index in range(len(endpoints))]


async def test_workers_check_as_the_main_process_would(
    workers: ProbeWorkers, http_server: tuple[int, dict[str, int]]
) -> None:
    port, _ = http_server
    listener = TcpListener(host="0.0.0.0")
    await listener.start()
    closed = free_tcp_port()
    try:
        tcp_probe, problem = await workers.start_probe("tcp", None)
        assert problem is None and isinstance(tcp_probe, RemoteProbe)
        http_probe, _ = await workers.start_probe("http", None)
        # endpoints on many addresses, so both workers get some
        open_ones = [tcp(f"127.0.{n}.1", listener.port) for n in range(1, 9)]
        results = await check(tcp_probe, [*open_ones, tcp("127.0.0.1", closed)])
        assert [r.ok for r in results] == [True] * 8 + [False]
        assert all(r.rtt_ms is not None and r.rtt_ms >= 0 for r in results[:8])
        assert "refused" in (results[-1].error or "")
        ok, failing = await check(http_probe, [http(port, "/ok"), http(port, "/broken")])
        assert ok.ok and ok.error is None
        assert not failing.ok and "503" in (failing.error or "")
    finally:
        await listener.stop()


async def test_retries_are_made_once_by_the_main_process(
    workers: ProbeWorkers, http_server: tuple[int, dict[str, int]]
) -> None:
    """A worker makes one attempt per request: an endpoint with 2 retries gets 3 requests,
    not 3 from each of 3 requests."""
    port, counts = http_server
    probe, _ = await workers.start_probe("http", None)
    assert isinstance(probe, RemoteProbe)
    [result] = await check(probe, [http(port, "/always-503", retries=2)])
    assert not result.ok
    assert counts["/always-503"] == 3


async def test_a_changed_endpoint_is_checked_as_changed(workers: ProbeWorkers) -> None:
    """The configuration gives an endpoint (same id) a new port: the worker checks the new
    one from the next check on."""
    first, second = TcpListener(), TcpListener()
    await first.start()
    await second.start()
    try:
        probe, _ = await workers.start_probe("tcp", None)
        assert isinstance(probe, RemoteProbe)
        endpoint = tcp("127.0.0.1", first.port)
        assert (await check(probe, [endpoint]))[0].ok
        await first.stop()
        assert not (await check(probe, [endpoint]))[0].ok
        moved = dataclasses.replace(endpoint, port=second.port)
        assert (await check(probe, [moved]))[0].ok
    finally:
        await second.stop()


async def test_a_killed_worker_fails_its_checks_and_is_started_again(
    workers: ProbeWorkers,
) -> None:
    listener = TcpListener(host="0.0.0.0")
    await listener.start()
    try:
        probe, _ = await workers.start_probe("tcp", None)
        assert isinstance(probe, RemoteProbe)
        endpoints = [tcp(f"127.0.{n}.1", listener.port) for n in range(1, 9)]
        assert all(r.ok for r in await check(probe, endpoints))
        before = workers.pids()
        os.kill(before[0], signal.SIGKILL)
        while workers.pids() == before:  # seen gone
            await asyncio.sleep(0.01)
        results = await check(probe, endpoints)  # while it starts again
        failed = [r for r in results if not r.ok]
        assert failed and all("ended (exit code -9); it is starting again" in (r.error or "")
                              for r in failed)
        for _ in range(200):
            if workers.ready:
                break
            await asyncio.sleep(0.05)
        assert workers.pids()[0] != before[0] and workers.pids()[1] == before[1]
        results = await check(probe, endpoints)
        assert all(r.ok for r in results), results
    finally:
        await listener.stop()


async def test_a_dying_worker_fails_the_checks_it_held(workers: ProbeWorkers) -> None:
    """Checks a worker held when it died fail with the reason (they are tried at their next
    run), rather than waiting for the guard."""
    silent = TcpListener(holding=True)
    await silent.start()
    try:
        probe, _ = await workers.start_probe("http", None)
        assert isinstance(probe, RemoteProbe)
        # a server that never answers keeps the check open for its timeout
        endpoint = dataclasses.replace(http(silent.port, "/"), timeout_ms=30_000)
        checking = asyncio.create_task(check(probe, [endpoint]))
        await asyncio.sleep(0.5)
        for pid in workers.pids():
            os.kill(pid, signal.SIGKILL)
        [result] = await asyncio.wait_for(checking, 10)
        assert not result.ok and "probe worker" in (result.error or "")
    finally:
        await silent.stop()


def test_the_count_of_workers_is_checked() -> None:
    assert probe_workers_wanted({}) == 0
    assert probe_workers_wanted({"PULSE_PROBE_WORKERS": " 3 "}) == 3
    with pytest.raises(BadWorkerCount, match="not a number"):
        probe_workers_wanted({"PULSE_PROBE_WORKERS": "two"})
    with pytest.raises(BadWorkerCount, match="from 0 to 64"):
        probe_workers_wanted({"PULSE_PROBE_WORKERS": "65"})


def test_a_worker_that_keeps_ending_is_started_again_less_often() -> None:
    """A worker that cannot start (say an import error) is retried at 1, 2, 4 ... up to 30 s,
    not every second with a traceback each; one that ran a while starts again after 1 s."""
    pauses = [0.0]
    for _ in range(7):
        pauses.append(restart_pause(pauses[-1], ran_for_s=0.5))
    assert pauses[1:] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert restart_pause(30.0, ran_for_s=600.0) == 1.0
