"""Bytes on disk per stored check in SQLite: a row per check against packed blocks.

N endpoints x H hours of checks at a fixed interval (a plant's mix of RTTs, a few outages with
errors: ``pulse_store_sql.sample_history``) are written through the SQL store in the past, as
the engine writes them: time-ordered batches. The database is then measured twice, each time
closed and vacuumed (free pages dropped, write-ahead log folded in). CPU figures are process
CPU time (all threads: the store works in its own), so a busy machine does not inflate them.

- ``row_bytes_per_check``: every check still a row of the recent table, as written;
- ``packed_bytes_per_check``: after ``update_rollups``, which rolls the checks up and packs
  every closed hour into one block per endpoint. This figure includes the rollup tables.

``python bench/storage.py --endpoints 100 --hours 24`` prints a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from pulse_core.models import CheckResult, Group
from pulse_store_sql import SqlStore
from pulse_store_sql.sample_history import sample_endpoints, sample_rounds, vacuumed_bytes

#: A UTC midnight long past, so every hour is closed and packed.
START_MS = 1_709_251_200_000
#: Checks per write, about what the engine's writer hands over at once.
CHECKS_PER_WRITE = 5000


async def measure(
    endpoint_count: int, hours: float, interval_s: float, directory: Path
) -> dict[str, float]:
    path = directory / "pulse.db"
    url = f"sqlite:///{path}"
    endpoints = sample_endpoints(endpoint_count, "plant")
    end_ms = START_MS + round(hours * 3_600_000)

    store = SqlStore(url)
    await store.open()
    await store.sync_catalog([Group(id="plant", name="Plant")], endpoints)
    written = 0
    batch: list[CheckResult] = []
    started = time.process_time()
    for checks in sample_rounds(endpoints, START_MS, end_ms, round(interval_s * 1000)):
        batch += checks
        if len(batch) >= CHECKS_PER_WRITE:
            await store.write_checks(batch)
            written, batch = written + len(batch), []
    await store.write_checks(batch)
    written += len(batch)
    write_cpu_s = time.process_time() - started
    await store.close()
    row_bytes = vacuumed_bytes(path)

    store = SqlStore(url)
    await store.open()
    started = time.process_time()
    await store.update_rollups()
    roll_up_and_pack_cpu_s = time.process_time() - started
    started = time.process_time()
    day = await store.checks(endpoints[0].id, START_MS / 1000, START_MS / 1000 + 86_400)
    read_day_cpu_s = time.process_time() - started
    await store.close()
    packed_bytes = vacuumed_bytes(path)

    return {
        "endpoints": endpoint_count,
        "hours": hours,
        "interval_s": interval_s,
        "checks": written,
        "row_bytes_per_check": round(row_bytes / written, 2),
        "packed_bytes_per_check": round(packed_bytes / written, 2),
        "write_cpu_us_per_check": round(write_cpu_s / written * 1e6, 2),
        "roll_up_and_pack_cpu_us_per_check": round(roll_up_and_pack_cpu_s / written * 1e6, 2),
        "read_one_endpoint_day_cpu_ms": round(read_day_cpu_s * 1000, 1),
        "read_one_endpoint_day_checks": len(day),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--interval-s", type=float, default=10)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pulse-bench-storage-") as directory:
        result = asyncio.run(
            measure(arguments.endpoints, arguments.hours, arguments.interval_s, Path(directory))
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
