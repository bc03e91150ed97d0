"""The whole pipeline under a site's load: N endpoints for T seconds, from a cold start.

A real Pulse application (scheduler -> probes -> state machine -> store writer -> SQLite) runs
in this process on a generated configuration: 60 % ICMP, 30 % TCP, 10 % HTTP. What they check
runs in a separate process, so its CPU is not counted: a TCP listener and an HTTP server on
every loopback address, and lab hosts (a namespace host with answering and unreachable
addresses, a TUN host answering after 20 ms) when running as root.

Measured: checks per second, schedule lag (p50/p99/max, from the scheduler's own figures), CPU
as a percentage of one core (process CPU time / wall time), resident memory per endpoint above
the idle process (a Pulse running the same mix at 10 endpoints: every probe started, store
open, threads running; also given above the process with only its code imported), bytes the
SQLite files grew per stored check, and whether every endpoint's first check started within
its first interval.

``python bench/sustained.py --endpoints 20000 --seconds 60`` prints a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pulse_core.app import Pulse
    from pulse_core.engine.monitor import Monitor
    from pulse_core.models import Endpoint

DEFAULT_INTERVAL_S = 10
TIMEOUT_MS = 1500
LAB_DELAY_MS = 20
#: endpoints of the idle Pulse: 6 ICMP, 3 TCP and 1 HTTP, one of each probe type at least
IDLE_ENDPOINTS = 10
HTTP_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


@dataclass
class Sustained:
    endpoints: int
    interval_s: int
    seconds: float
    checks: int
    checks_per_s: float
    failed_pct: float
    lag_p50_ms: float
    lag_p99_ms: float
    lag_max_ms: float
    cpu_pct: float
    #: CPU and checks from the end of the first wave (every endpoint's first state stored)
    steady_cpu_pct: float
    steady_checks_per_s: float
    steady_lag_p99_ms: float
    #: the most checks waiting for the store's writer, sampled every 0.1 s, and any it dropped
    writer_backlog_max: int
    dropped: int
    rss_idle_mb: float
    rss_bytes_per_endpoint: float
    rss_bytes_per_endpoint_above_code: float
    disk_bytes_per_check: float
    first_interval_missed: int
    lab_endpoints: int
    probe_workers: int
    #: the probe workers' share of ``cpu_pct``
    workers_cpu_pct: float


# --- the checked side, in its own process ---------------------------------------------------


class _AcceptAndClose(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class _OkServer(asyncio.Protocol):
    """Answers every request on a connection with ``200 ok``, keeping the connection open."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.received = b""

    def data_received(self, data: bytes) -> None:
        self.received += data
        while b"\r\n\r\n" in self.received:
            _, self.received = self.received.split(b"\r\n\r\n", 1)
            self.transport.write(HTTP_RESPONSE)  # type: ignore[attr-defined]


async def _serve(with_lab: bool) -> None:
    """Start the listeners and lab hosts, print where they are, serve until stdin closes.

    The listeners bind the wildcard address (binding 127.0.0.1 would answer that address only);
    the ports are random and live only as long as the benchmark."""
    loop = asyncio.get_running_loop()
    tcp = await loop.create_server(_AcceptAndClose, "0.0.0.0", 0, backlog=4096)
    http = await loop.create_server(_OkServer, "0.0.0.0", 0, backlog=4096)
    with contextlib.ExitStack() as lab:
        place = {
            "tcp_port": tcp.sockets[0].getsockname()[1],
            "http_port": http.sockets[0].getsockname()[1],
        }
        if with_lab:
            from pulse_core.testing.lab import delayed_host, lab_host

            host = lab.enter_context(lab_host())
            delayed = lab.enter_context(delayed_host(LAB_DELAY_MS))
            place["lab_answering"] = [str(ip) for ip in host.answering.hosts()]
            place["lab_unreachable"] = [str(ip) for ip in host.unreachable.hosts()]
            place["lab_delayed"] = [str(ip) for ip in delayed.prefix.hosts()]
        print(json.dumps(place), flush=True)
        await loop.run_in_executor(None, sys.stdin.read)


@contextlib.contextmanager
def checked_side(with_lab: bool) -> Iterator[dict[str, object]]:
    server = subprocess.Popen(
        [sys.executable, __file__, "serve", *(["--lab"] if with_lab else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        ready, _, _ = select.select([server.stdout], [], [], 30)
        line = server.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError("the benchmark's servers did not start")
        yield json.loads(line)
    finally:
        server.stdin.close()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.send_signal(signal.SIGKILL)
            server.wait()


# --- the configuration ------------------------------------------------------------------------


def loopback_host(index: int, block: int) -> str:
    """Distinct loopback addresses, one 127.<block>.x.y range per kind of endpoint."""
    return f"127.{block}.{index // 250 % 250}.{index % 250 + 1}"


def interleave(*kinds: list[str]) -> list[str]:
    """The items of every list, mixed evenly (as on a site, where each line or cell has its
    PLCs, HMIs and web panels): the scheduler spreads endpoints over the interval in file
    order, so lists one after the other would send each kind in a burst of its own."""
    total = sum(len(kind) for kind in kinds)
    keyed = [
        ((index + 0.5) / len(kind), order, item)
        for order, kind in enumerate(kinds)
        for index, item in enumerate(kind)
    ]
    return [item for _, _, item in sorted(keyed)][:total]


def write_config(path: Path, endpoints: int, interval_s: int, place: dict[str, object]) -> int:
    """A configuration of ``endpoints`` endpoints; returns how many are lab hosts."""
    icmp = endpoints * 6 // 10
    tcp = endpoints * 3 // 10
    http = endpoints - icmp - tcp
    lab_hosts: list[str] = []
    for key, share in (("lab_answering", 20), ("lab_unreachable", 50), ("lab_delayed", 20)):
        available = place.get(key, [])
        assert isinstance(available, list)
        lab_hosts += available[: icmp // share]
    icmp_hosts = lab_hosts + [loopback_host(i, 10 + i // 62500) for i in range(icmp - len(lab_hosts))]
    lines = [
        "version: 1",
        "defaults:",
        f"  interval_seconds: {interval_s}",
        f"  timeout_ms: {TIMEOUT_MS}",
        "groups:",
        "  - {id: bench, name: Benchmark}",
        "storage:",
        f"  url: sqlite:///{path.parent / 'pulse.db'}",
        "targets:",
    ]
    icmp_targets = [f"  - {{type: icmp, group: bench, host: {host}}}" for host in icmp_hosts]
    tcp_targets = [
        f"  - {{type: tcp, group: bench, host: {loopback_host(i, 20)}, port: {place['tcp_port']}}}"
        for i in range(tcp)
    ]
    http_targets = [
        f"  - {{type: http, group: bench, host: {loopback_host(i, 30)}, port: {place['http_port']}}}"
        for i in range(http)
    ]
    lines += interleave(icmp_targets, tcp_targets, http_targets)
    path.write_text("\n".join(lines) + "\n")
    return len(lab_hosts)


# --- the measurement --------------------------------------------------------------------------


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def disk_bytes(database: Path) -> int:
    """The database's size with its write-ahead log folded in: a WAL file is reused, not
    shrunk, after each checkpoint, so its size says nothing about what is stored."""
    with sqlite3.connect(database, timeout=10) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return database.stat().st_size


def _worker_environ(probe_workers: int) -> dict[str, str]:
    return {"PULSE_PROBE_WORKERS": str(probe_workers)} if probe_workers else {}


def _workers_of(app: Pulse) -> list[int]:
    """The process ids of the app's probe workers (none when it probes in process)."""
    pids = getattr(app.probing, "pids", None)
    return pids() if pids is not None else []


def _cpu_s(pids: Sequence[int]) -> float:
    """CPU time (user + system) of the processes ``pids`` so far, from the kernel's count."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _rss_of(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


async def measure(
    endpoints: int, seconds: float, interval_s: int, with_lab: bool, trace_memory: bool = False,
    probe_workers: int = 0,
) -> Sustained:
    from pulse_core.app import Pulse
    from pulse_core.engine.scheduler import Scheduler

    with tempfile.TemporaryDirectory() as scratch, checked_side(with_lab) as place:
        config = Path(scratch) / "pulse.yaml"
        lab_endpoints = write_config(config, endpoints, interval_s, place)
        code_rss = rss_bytes()
        idle_rss = await _idle_rss(Path(scratch), place, probe_workers)
        if trace_memory:
            tracemalloc.start()
        app = Pulse.create(config, _worker_environ(probe_workers))
        first_wave = FirstWave(app.monitor, endpoints, interval_s)
        app.scheduler = Scheduler(first_wave.run_check, batches=first_wave)
        database = Path(scratch) / "pulse.db"
        await app.start()
        workers = _workers_of(app)
        main_before, workers_before = time.process_time(), _cpu_s(workers)
        wall_before = time.perf_counter()
        # Every first check has had its interval plus its timeout and retry to finish.
        backlog = Backlog()
        following = asyncio.create_task(backlog.follow(app))
        await asyncio.sleep(interval_s + 2 * TIMEOUT_MS / 1000 + 1)
        # Disk growth and the steady CPU are measured from here: the catalog and the first
        # state of every endpoint are stored by now, so what follows is the cost of checks.
        checks_before, disk_before = _checks_done(app), disk_bytes(database)
        steady_cpu_before = time.process_time() + _cpu_s(workers)
        lags_before = app.scheduler.stats.lags.copy()
        steady_before = time.perf_counter()
        await asyncio.sleep(max(0.0, seconds - (time.perf_counter() - wall_before)))
        workers_cpu = _cpu_s(workers) - workers_before
        cpu = time.process_time() - main_before + workers_cpu
        steady_cpu = time.process_time() + _cpu_s(workers) - steady_cpu_before
        steady_checks = _checks_done(app) - checks_before
        steady_wall = time.perf_counter() - steady_before
        steady_lags = app.scheduler.stats.lags.since(lags_before)
        wall = time.perf_counter() - wall_before
        following.cancel()
        rss = rss_bytes() + _rss_of(workers)
        if trace_memory:
            _report_memory(endpoints)
        checks = _checks_done(app)
        failed = sum(state.checks_down for state in app.monitor.states.values())
        _report_errors(app)
        schedule = app.scheduler.stats
        await app.stop()
        grown = disk_bytes(database) - disk_before
        stored = checks - checks_before
    return Sustained(
        endpoints=endpoints,
        interval_s=interval_s,
        seconds=round(wall, 1),
        checks=checks,
        checks_per_s=round(checks / wall, 1),
        failed_pct=round(100 * failed / checks, 1) if checks else 0.0,
        lag_p50_ms=round(schedule.lags.quantile(0.50) * 1000, 2),
        lag_p99_ms=round(schedule.lags.quantile(0.99) * 1000, 2),
        lag_max_ms=round(schedule.max_lag_s * 1000, 2),
        cpu_pct=round(100 * cpu / wall, 1),
        steady_cpu_pct=round(100 * steady_cpu / steady_wall, 1),
        steady_checks_per_s=round(steady_checks / steady_wall, 1),
        steady_lag_p99_ms=round(steady_lags.quantile(0.99) * 1000, 2),
        writer_backlog_max=backlog.largest,
        dropped=app.writer.dropped,
        rss_idle_mb=round(idle_rss / 2**20, 1),
        rss_bytes_per_endpoint=round((rss - idle_rss) / (endpoints - IDLE_ENDPOINTS)),
        rss_bytes_per_endpoint_above_code=round((rss - code_rss) / endpoints),
        disk_bytes_per_check=round(grown / stored, 1) if stored else 0.0,
        first_interval_missed=first_wave.late + max(0, endpoints - first_wave.started),
        lab_endpoints=lab_endpoints,
        probe_workers=len(workers),
        workers_cpu_pct=round(100 * workers_cpu / wall, 1),
    )


async def _idle_rss(scratch: Path, place: dict[str, object], probe_workers: int) -> int:
    """The resident memory of an idle Pulse: running the same mix at ``IDLE_ENDPOINTS``
    endpoints, so every probe type is started (the HTTP probe's TLS contexts alone take
    about a megabyte), its store open and its threads running. What a Pulse costs before
    its endpoints, and the base the per-endpoint figure is counted from (its probe workers
    included, when it has some)."""
    from pulse_core.app import Pulse

    idle = scratch / "idle"
    idle.mkdir()
    config = idle / "pulse.yaml"
    write_config(config, IDLE_ENDPOINTS, 1, place)
    app = Pulse.create(config, _worker_environ(probe_workers))
    await app.start()
    try:
        await asyncio.sleep(3)  # a few checks, written and announced
        return rss_bytes() + _rss_of(_workers_of(app))
    finally:
        await app.stop()


def _report_memory(endpoints: int, lines: int = 25) -> None:
    """What is kept per endpoint, by the line that allocated it, on stderr: where the
    resident memory goes (tracemalloc slows the run: its CPU and lag figures do not count)."""
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    statistics = snapshot.statistics("lineno")
    print(f"traced: {sum(stat.size for stat in statistics) / endpoints:,.0f} bytes per endpoint",
          file=sys.stderr)
    for stat in statistics[:lines]:
        frame = stat.traceback[0]
        print(f"{stat.size / endpoints:8.1f} B {stat.count / endpoints:6.2f} objects  "
              f"{frame.filename}:{frame.lineno}", file=sys.stderr)


def _report_errors(app: Pulse) -> None:
    """The commonest last errors, on stderr: a slow benchmark is often a failing one."""
    errors = Counter(
        f"{state.endpoint.type}: {state.last_error}"
        for state in app.monitor.states.values()
        if state.last_error is not None
    )
    for error, count in errors.most_common(5):
        print(f"{count:6d} endpoints last failed with {error}", file=sys.stderr)


@dataclass
class Backlog:
    """The most checks waiting for the store's writer at once: the store keeping up or not."""

    largest: int = 0

    async def follow(self, app: Pulse) -> None:
        while True:
            self.largest = max(self.largest, app.writer.pending)
            await asyncio.sleep(0.1)


def _checks_done(app: Pulse) -> int:
    return sum(state.checks_seen for state in app.monitor.states.values())


class FirstWave:
    """Counts the first checks that started after the end of the first interval.

    The first ``endpoints`` checks the scheduler starts are the first check of every
    endpoint: first checks are due within one interval of scheduling, every second check an
    interval after its first. The first of them is due at the moment of scheduling, which
    fixes the deadline. Two counters, so the measurement adds nothing per endpoint to RSS.
    Checks in batches (ICMP) are counted as they are handed to the monitor, as single ones."""

    def __init__(self, monitor: Monitor, endpoints: int, interval_s: float) -> None:
        self._monitor = monitor
        self._endpoints = endpoints
        self._interval_s = interval_s
        self._deadline = math.inf
        self.started = 0
        self.late = 0

    async def run_check(self, endpoint: Endpoint, due: float) -> None:
        self._count(due)
        await self._monitor.run_check(endpoint, due)

    def batches(self, type_name: str) -> bool:
        return self._monitor.batches(type_name)

    async def run_batch(
        self, endpoints: Sequence[Endpoint], due: float, finished: Callable[[int], None]
    ) -> None:
        for _ in endpoints:
            self._count(due)
        await self._monitor.run_batch(endpoints, due, finished)

    def _count(self, due: float) -> None:
        if self.started < self._endpoints:
            if self.started == 0:
                self._deadline = due + self._interval_s
            self.started += 1
            self.late += time.time() > self._deadline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", choices=["measure", "serve"], default="measure")
    parser.add_argument("--endpoints", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=int, default=DEFAULT_INTERVAL_S, help="seconds")
    parser.add_argument("--lab", action="store_true", help="add namespace and TUN lab hosts")
    parser.add_argument(
        "--trace-memory", action="store_true",
        help="print what is kept per endpoint, by allocating line, on stderr (slows the run)",
    )
    parser.add_argument(
        "--probe-workers", type=int, default=0,
        help="probe in this many worker processes (their CPU and memory are counted)",
    )
    args = parser.parse_args()
    if args.mode == "serve":
        asyncio.run(_serve(args.lab))
        return
    _import_everything()
    result = asyncio.run(
        measure(
            args.endpoints, args.seconds, args.interval, args.lab, args.trace_memory,
            args.probe_workers,
        )
    )
    print(json.dumps(asdict(result)))


def _import_everything() -> None:
    """Load the application and every plugin before the idle memory is taken."""
    from pulse_core.app import load_plugins

    load_plugins({})


if __name__ == "__main__":
    main()
