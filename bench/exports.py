"""History exports of many endpoints, CSV and JSON: a day of raw checks (rows per second)
and 30 days of daily rollups (seconds).

A real Pulse with its web server runs in this process on N tcp endpoints (loopback, port 9,
checked hourly so probing stays out of the figures). A day of checks every ``--interval``
seconds per endpoint is put straight into the SQL store's packed hourly blocks, as
compaction leaves them: a hundred endpoint histories made by
``pulse_store_sql.sample_history`` (its mix of RTTs, jitter and outages), each shared by
every hundredth endpoint, so that filling 10,000 endpoints takes seconds. The 30 days before
that day get a daily bucket per endpoint, written straight into the rollup table (a
hundred drawn histories again: checks per day, failed ones, RTT sums).

Every export is fetched by ``curl`` in its own process, which reports the whole exchange
and the time to the first byte. The first request after start builds the catalogue of the
configuration (as the first request of any kind does, once per configuration); it is a
one-endpoint export, timed apart. The reference, in the same run: ``csv.writer`` writing
the same number of rows from tuples already in memory, Python's own CSV speed on this
machine. Prints a JSON line:

- ``raw_rows``: checks in the raw export;
- ``csv_rows_per_s`` / ``json_rows_per_s``: rows over curl's total time (goal ≥ 1,000,000);
- ``csv_first_byte_ms``: curl's time to the first byte of the raw CSV (goal ≤ 100 ms);
- ``first_request_first_byte_ms``: the same for the first request after start;
- ``reference_csv_writer_rows_per_s`` and ``csv_export_to_csv_writer``: the reference and
  the export's speed as a share of it;
- ``daily_rows``, ``daily_csv_s`` / ``daily_json_s``: the 30 days of daily buckets, curl's
  total time (goal ≤ 1 s);
- ``csv_pulse_cpu_s`` / ``daily_csv_pulse_cpu_s``: the CPU time of the Pulse process (every
  thread of this one) during the best raw and daily CSV exports: what an export takes from
  the interpreter that probes (export workers' own CPU is not in it);
- ``raw_loop_lag_p99_ms`` / ``raw_loop_lag_max_ms`` (and ``daily_…``): how late the Pulse's
  event loop woke from 5 ms sleeps during all exports of that kind: a check falling due
  meanwhile starts at least that late;
- ``load_average``: the machine's, at the end: the figures mean little without it.

The best of ``--runs`` exports of each kind counts; ``--parts daily`` (or ``raw``) times
only those.

``python bench/exports.py --endpoints 10000 --interval 300``
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, select

from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_store_sql import blocks, error_texts
from pulse_store_sql.micros import to_us
from pulse_store_sql.sample_history import sample_endpoints, sample_rounds
from pulse_store_sql.tables import endpoints as endpoints_table
from pulse_store_sql.tables import rollups_daily

TEMPLATES = 100
DAY_MS = 86_400_000
DAILY_DAYS = 30


def config(endpoints: int, database: Path) -> str:
    lines = ["version: 1", "defaults: {interval_seconds: 3600}",
             f'storage: {{url: "sqlite:///{database}", retention_days: 3650}}',
             "server: {rate_limit_per_minute: 0}",
             "groups:", "  - {id: site, name: Site}", "targets:"]
    lines += [
        f"  - {{type: tcp, host: 127.{10 + n // 62_500}.{n // 250 % 250}.{n % 250 + 1}, port: 9, "
        "group: site}"
        for n in range(endpoints)
    ]
    return "\n".join(lines) + "\n"


def fill(database: Path, day_ms: int, interval_s: int) -> int:
    """A day of packed checks for every endpoint in the store; returns how many."""
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        keys = [key for (key,) in connection.execute(select(endpoints_table.c.key))]
        samples = sample_endpoints(TEMPLATES, "site")
        rounds = list(sample_rounds(samples, day_ms, day_ms + DAY_MS, interval_s * 1000))
        error_ids = error_texts.ids_of(
            connection, {check.error for checks in rounds for check in checks if check.error}
        )
        histories: list[dict[int, list[blocks.PackedCheck]]] = [{} for _ in range(TEMPLATES)]
        for round_checks in rounds:
            for number, check in enumerate(round_checks):
                ts_ms = round(check.ts * 1000)
                histories[number].setdefault(blocks.block_start(ts_ms), []).append(
                    blocks.PackedCheck(
                        ts_ms, check.status == "up",
                        None if check.rtt_ms is None else to_us(check.rtt_ms),
                        None if check.error is None else error_ids[check.error],
                    )
                )
        written = 0
        for number, key in enumerate(keys):
            history = histories[number % TEMPLATES]
            blocks.save(connection, {
                (key, start): blocks.by_time(checks) for start, checks in history.items()
                if day_ms <= start < day_ms + DAY_MS
            })
            written += sum(len(checks) for checks in history.values())
    engine.dispose()
    return written


def fill_daily(database: Path, first_day_ms: int, days: int, interval_s: int) -> int:
    """A daily bucket per endpoint for ``days`` days from ``first_day_ms``; returns how many."""
    draw = random.Random(1)
    per_day = DAY_MS // 1000 // interval_s
    histories = []
    for _ in range(TEMPLATES):
        history = []
        for day in range(days):
            failed = draw.choice((0, 0, 0, 1, 3, per_day // 4))
            up = per_day - failed
            history.append((first_day_ms + day * DAY_MS, per_day, up,
                            up * draw.uniform(0.2, 40.0), up, min(failed, 1 + failed // 50)))
        histories.append(history)
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        keys = [key for (key,) in connection.execute(select(endpoints_table.c.key))]
        columns = ("bucket_ms", "total", "up", "rtt_sum_ms", "rtt_count", "down_events")
        connection.execute(rollups_daily.insert(), [
            {"endpoint_key": key, **dict(zip(columns, bucket))}
            for number, key in enumerate(keys) for bucket in histories[number % TEMPLATES]
        ])
    engine.dispose()
    return len(keys) * days


LAG_STEP_S = 0.005


async def loop_lags(lags: list[float], stop: asyncio.Event) -> None:
    """How late each 5 ms sleep of the event loop ends, until ``stop``."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(LAG_STEP_S)
        lags.append(time.perf_counter() - before - LAG_STEP_S)


def lag_figures(name: str, lags: list[float]) -> dict[str, float]:
    ordered = sorted(lags)
    return {
        f"{name}_loop_lag_p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 1),
        f"{name}_loop_lag_max_ms": round(ordered[-1] * 1000, 1),
    }


async def curl(server: RunningPulse, path: str) -> tuple[float, float, int, float]:
    """Seconds in all and to the first byte, as curl measured them, the bytes received, and
    the CPU seconds of this process (the Pulse's) meanwhile."""
    cpu = time.process_time()
    header = [
        part for name, value in server.auth_headers.items() for part in ("-H", f"{name}: {value}")
    ]
    process = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-o", "/dev/null",
        "-w", "%{http_code} %{time_total} %{time_starttransfer} %{size_download}",
        *header, server.base_url + path, stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    status, total, first, size = output.decode().split()
    if status != "200":
        raise SystemExit(f"{path}: HTTP {status}")
    return float(total), float(first), int(size), time.process_time() - cpu


def csv_writer_rows_per_s(rows: int) -> float:
    """``csv.writer`` over tuples shaped like the export's rows, already in memory."""
    row = ("0123456789abcdef", "TCP 127.10.0.1:9", "site", "Site", "2026-01-01T10:00:00.123Z",
           "up", 1.234, None)
    page = [row] * 10_000
    started = time.perf_counter()
    for _ in range(max(1, rows // len(page))):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(page)
    return max(1, rows // len(page)) * len(page) / (time.perf_counter() - started)


def export_path(bucket: str, start_ms: int, end_ms: int) -> str:
    start, end = (
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000)) for ms in (start_ms, end_ms)
    )
    return f"/api/export/history?bucket={bucket}&startTime={start}&endTime={end}"


async def best_of(
    server: RunningPulse, path: str, runs: int, lags: list[float]
) -> dict[str, tuple[float, float, int, float]]:
    """The quickest of ``runs`` exports of ``path`` in each format, alternating formats;
    ``lags`` gains the event loop's lateness during them."""
    figures: dict[str, list[tuple[float, float, int, float]]] = {"csv": [], "json": []}
    stop = asyncio.Event()
    sampling = asyncio.create_task(loop_lags(lags, stop))
    for _ in range(runs):
        for kind in figures:
            figures[kind].append(await curl(server, f"{path}&format={kind}"))
    stop.set()
    await sampling
    return {kind: min(results) for kind, results in figures.items()}


async def measure(endpoints: int, interval_s: int, runs: int, parts: str) -> dict[str, object]:
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="pulse-bench-exports-") as directory:
        folder = Path(directory)
        async with running_pulse(config(endpoints, folder / "pulse.db"), folder) as server:
            day_ms = (int(time.time() * 1000) // DAY_MS - 2) * DAY_MS
            first_day_ms = day_ms - DAILY_DAYS * DAY_MS
            raw = export_path("raw", day_ms, day_ms + DAY_MS)
            endpoint_id = server.pulse.endpoints()[0].id
            if parts in ("all", "raw"):
                stored = await asyncio.to_thread(fill, folder / "pulse.db", day_ms, interval_s)
                _, cold_first_byte, _, _ = await curl(server, f"{raw}&endpointId={endpoint_id}")
                lags: list[float] = []
                raw_best = await best_of(server, raw, runs, lags)
                figures.update(raw_figures(stored, raw_best, cold_first_byte))
                figures.update(lag_figures("raw", lags))
            if parts in ("all", "daily"):
                buckets = await asyncio.to_thread(
                    fill_daily, folder / "pulse.db", first_day_ms, DAILY_DAYS, interval_s
                )
                if parts == "daily":  # the catalogue is built by the first request
                    await curl(server, f"{raw}&endpointId={endpoint_id}")
                lags = []
                daily_best = await best_of(
                    server, export_path("daily", first_day_ms, day_ms), runs, lags
                )
                figures.update(lag_figures("daily", lags))
                figures.update({
                    "daily_rows": buckets,
                    "daily_csv_s": round(daily_best["csv"][0], 3),
                    "daily_json_s": round(daily_best["json"][0], 3),
                    "daily_csv_mb": round(daily_best["csv"][2] / 1e6, 1),
                    "daily_csv_pulse_cpu_s": round(daily_best["csv"][3], 3),
                })
    figures["load_average"] = " ".join(f"{load:.1f}" for load in os.getloadavg())
    return figures


def raw_figures(
    stored: int, raw_best: dict[str, tuple[float, float, int, float]], cold_first_byte: float
) -> dict[str, object]:
    """The raw export's figures, beside ``csv.writer``'s speed on as many rows."""
    reference = csv_writer_rows_per_s(stored)
    csv_rate = stored / raw_best["csv"][0]
    return {
        "raw_rows": stored,
        "csv_rows_per_s": round(csv_rate),
        "json_rows_per_s": round(stored / raw_best["json"][0]),
        "csv_first_byte_ms": round(raw_best["csv"][1] * 1000, 1),
        "first_request_first_byte_ms": round(cold_first_byte * 1000, 1),
        "csv_mb": round(raw_best["csv"][2] / 1e6, 1),
        "csv_pulse_cpu_s": round(raw_best["csv"][3], 2),
        "reference_csv_writer_rows_per_s": round(reference),
        "csv_export_to_csv_writer": round(csv_rate / reference, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument("--interval", type=int, default=60, help="seconds between stored checks")
    parser.add_argument(
        "--runs", type=int, default=3, help="exports of each format; the best counts"
    )
    parser.add_argument(
        "--parts", choices=("all", "raw", "daily"), default="all", help="which exports to time"
    )
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(
        measure(arguments.endpoints, arguments.interval, arguments.runs, arguments.parts)
    )))
