"""How long ``pulse run`` takes to stop on SIGTERM with live clients connected.

A real ``pulse run`` on a SQLite file checks 254 TCP endpoints on loopback every second; once it
has written checks, a WebSocket and an SSE client connect and SIGTERM is sent. Measured from
SIGTERM to the process's exit (both streams ended cleanly before that), over several runs:

- ``stop_s_median`` / ``stop_s_max``: SIGTERM to exit (goal: under a second);
- ``every_check_written``: whether every run's stop line had as many checks written as taken
  and the database that many rows;
- ``tracebacks``: runs whose output held a traceback (goal: none).

``python bench/shutdown.py --runs 5`` prints a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import statistics
import tempfile
from pathlib import Path

from pulse_core.testing.busy import busy_plant
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.stopping import Stopped, run_then_stop



async def one_stop(directory: Path) -> tuple[Stopped, int]:
    """One run and stop, and the number of checks in its database."""
    port, database = free_tcp_port(), directory / "pulse.db"
    config = directory / "pulse.yaml"
    config.write_text(busy_plant(database, "127.0.7.0/24", port))
    stopped = await run_then_stop(config, port, exit_within_s=60)
    with contextlib.closing(sqlite3.connect(database)) as stored:
        (rows,) = stored.execute("SELECT count(*) FROM checks").fetchone()
    return stopped, rows


async def measure(runs: int) -> dict[str, object]:
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="pulse-bench-stop-") as directory:
            results.append(await one_stop(Path(directory)))
    seconds = [stopped.seconds for stopped, _ in results]
    return {
        "stop_s_median": round(statistics.median(seconds), 3),
        "stop_s_max": round(max(seconds), 3),
        "every_check_written": all(
            stopped.returncode == 0 and stopped.taken == stopped.written == rows
            for stopped, rows in results
        ),
        "tracebacks": sum("Traceback" in stopped.log for stopped, _ in results),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(measure(arguments.runs))))


if __name__ == "__main__":
    main()
