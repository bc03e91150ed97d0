"""The read API with many endpoints: ``GET /api/status/live`` and the history export.

A real Pulse with its web server runs in this process on a generated configuration of N tcp
endpoints on loopback addresses (port 9, nobody listens: every check is a quick refusal) in
groups of 250 under one parent, checked every ``--interval`` seconds so probing goes on during
the measurement as it would in a plant. Before measuring, every endpoint's live state is given
a full sparkline of checks, and ``--days`` of history (two checks a day per endpoint) are
written to the store and rolled up.

Requests are made by ``curl`` in its own process, which reports the time of the whole
exchange, so the client's work is not counted. Goal: live status p95 within 50 ms for 10,000.

``python bench/api.py --endpoints 10000`` prints a table of p50 / p95 / max in milliseconds,
with the machine's load average at the end of the run: the figures mean little without it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pulse_core.engine.state import RECENT_CHECKS
from pulse_core.models import CheckResult, CheckStatus
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse

GROUP_SIZE = 250
DAY_S = 86_400.0


def config(endpoints: int, interval_s: int, db_path: Path) -> str:
    groups = (endpoints + GROUP_SIZE - 1) // GROUP_SIZE
    lines = [
        "version: 1",
        f"defaults: {{interval_seconds: {interval_s}, timeout_ms: 1000}}",
        f'storage: {{url: "sqlite:///{db_path}", retention_days: 3650}}',
        # the benchmark's own requests must not be rate limited (0 turns the limiter off)
        f"server: {{host: 127.0.0.1, port: {free_tcp_port()}, rate_limit_per_minute: 0}}",
        "groups:",
        "  - {id: site, name: Site}",
        *(f"  - {{id: area-{g:03d}, name: Area {g:03d}, parent_id: site}}" for g in range(groups)),
        "targets:",
    ]
    for index in range(endpoints):
        host = f"127.{10 + index // 62_500}.{index // 250 % 250}.{index % 250 + 1}"
        lines.append(f"  - {{type: tcp, host: {host}, port: 9, group: area-{index // GROUP_SIZE:03d}}}")
    return "\n".join(lines) + "\n"


def warm_live_states(server: RunningPulse) -> None:
    """A full sparkline for every endpoint, one in ten of them down, as after a while of monitoring."""
    now = time.time()
    for number, state in enumerate(server.pulse.monitor.states.values()):
        down = number % 10 == 0
        length = RECENT_CHECKS
        for step in range(length):
            ts = now - (length - step) * state.endpoint.interval_s
            if down and step > length - 3:
                state.observe(CheckResult(state.endpoint.id, ts, CheckStatus.DOWN, None, "refused"))
            else:
                state.observe(CheckResult(state.endpoint.id, ts, CheckStatus.UP, 1.5 + step / 10))


async def fill_history(server: RunningPulse, days: int) -> float:
    """Two checks a day per endpoint for ``days`` days; returns the start of that history."""
    start = (time.time() // DAY_S - days) * DAY_S
    store = server.pulse.store
    batch: list[CheckResult] = []
    for endpoint_id in server.pulse.monitor.states:
        for day in range(days):
            batch.append(CheckResult(endpoint_id, start + day * DAY_S + 3600, CheckStatus.UP, 2.0))
            batch.append(CheckResult(endpoint_id, start + day * DAY_S + 7200, CheckStatus.DOWN, None, "refused"))
        if len(batch) >= 50_000:
            await store.write_checks(batch)
            batch = []
    await store.write_checks(batch)
    await store.update_rollups()
    return start


@dataclass
class Timing:
    name: str
    millis: list[float]
    size: int

    def row(self) -> str:
        ordered = sorted(self.millis)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return (
            f"| {self.name:<44} | {len(ordered):>4} | {statistics.median(ordered):>8.1f} "
            f"| {p95:>8.1f} | {ordered[-1]:>8.1f} | {self.size / 1e6:>8.2f} |"
        )


async def curl(server: RunningPulse, path: str) -> tuple[float, int]:
    """Milliseconds for the whole request as curl measured it, and the bytes received."""
    header = [part for name, value in server.auth_headers.items() for part in ("-H", f"{name}: {value}")]
    process = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{size_download}",
        *header, server.base_url + path, stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    status, seconds, size = output.decode().split()
    if status != "200":
        raise SystemExit(f"{path}: HTTP {status}")
    return float(seconds) * 1000, int(size)


async def measure(server: RunningPulse, name: str, path: str, runs: int) -> Timing:
    await curl(server, path)  # the first request builds the per-configuration caches
    results = [await curl(server, path) for _ in range(runs)]
    return Timing(name, [millis for millis, _ in results], results[-1][1])


async def main(endpoints: int, interval_s: int, days: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        yaml_text = config(endpoints, interval_s, Path(directory) / "pulse.db")
        started = time.perf_counter()
        async with running_pulse(yaml_text, Path(directory)) as server:
            print(f"{endpoints} endpoints up in {time.perf_counter() - started:.1f} s")
            warm_live_states(server)
            started = time.perf_counter()
            history_start = await fill_history(server, days)
            print(f"{days} days of history written and rolled up in {time.perf_counter() - started:.1f} s")
            start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(history_start))
            end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(history_start + days * DAY_S))
            export = f"/api/export/history?bucket=daily&startTime={start}&endTime={end}"
            timings = [
                await measure(server, "GET /api/status/live", "/api/status/live", runs),
                await measure(server, "GET /api/status/live?group=area-001", "/api/status/live?group=area-001", runs),
                await measure(server, "GET /api/status/live?search=127.10.1.", "/api/status/live?search=127.10.1.", runs),
                await measure(server, f"export csv, daily, {days} days", export + "&format=csv", max(3, runs // 20)),
                await measure(server, f"export json, daily, {days} days", export + "&format=json", max(3, runs // 20)),
                await measure(server, "export csv, 15m, 1 day",
                              f"/api/export/history?bucket=15m&startTime={start}&endTime="
                              + time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(history_start + DAY_S)),
                              max(3, runs // 20)),
            ]
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"| {'request':<44} | runs | p50 (ms) | p95 (ms) | max (ms) | MB       |")
    print(f"|{'-' * 46}|------|----------|----------|----------|----------|")
    for timing in timings:
        print(timing.row())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument("--interval", type=int, default=30, help="seconds between checks")
    parser.add_argument("--days", type=int, default=30, help="days of history to export")
    parser.add_argument("--runs", type=int, default=200, help="requests per live-status row")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.endpoints, arguments.interval, arguments.days, arguments.runs))
