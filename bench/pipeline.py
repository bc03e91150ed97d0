"""The whole monitoring pipeline per ICMP check, side by side with one round of fping.

A real Pulse application (scheduler -> ICMP probe -> state table -> store writer -> SQLite,
maintenance running) in this process on N ICMP endpoints on distinct loopback addresses,
checked every ``--interval`` seconds. Once every endpoint has its first state (two intervals,
the default ``success_threshold``, and their timeouts: the wave of first changes, their
snapshots and announcements is start-up's cost), the process CPU (all threads:
the store's writer thread included) over ``--seconds`` of steady state is divided by the
checks taken in that window. In the same run, fping pings the same addresses once
(``bench/icmp.py``'s contender: ``-i 0 -r 0``, the kernel's accounting of the child), and the
ratio of the two is the figure: what monitoring costs per check against the bare C pinger.
Beside it, on Linux, the same CPU split by thread: the event loop's (scheduler, probe, state
machine, the kernel's sending and reading) and the others' (the store's writer thread).

``python bench/pipeline.py --endpoints 12000 --seconds 40`` prints a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import icmp  # noqa: E402  (the benchmark scripts are files, not a package)

TIMEOUT_MS = 1500
#: intervals before every endpoint has its first state: the default ``success_threshold``
SETTLE_INTERVALS = 2


@dataclass
class Pipeline:
    endpoints: int
    interval_s: int
    seconds: float
    checks: int
    failed: int
    pulse_us_per_check: float
    fping_us_per_check: float | None
    ratio: float | None
    #: of ``pulse_us_per_check``: the event loop's thread (``None`` without ``/proc``)
    loop_thread_us_per_check: float | None


def write_config(path: Path, addresses: list[str], interval_s: int) -> None:
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
        *(f"  - {{type: icmp, group: bench, host: {address}}}" for address in addresses),
    ]
    path.write_text("\n".join(lines) + "\n")


def checks_taken(app: object) -> tuple[int, int]:
    states = app.monitor.states.values()  # type: ignore[attr-defined]
    up = down = 0
    for state in states:
        up += state.checks_up
        down += state.checks_down
    return up + down, down


def thread_cpu_s(thread_id: int) -> float | None:
    """CPU seconds (user and system) of one thread of this process, ``None`` without
    ``/proc``."""
    try:
        with open(f"/proc/self/task/{thread_id}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure_pulse(
    addresses: list[str], seconds: float, interval_s: int
) -> tuple[int, int, float, float | None]:
    """Checks taken, of them failed, process CPU seconds and the event loop thread's, over
    the steady window."""
    from pulse_core.app import Pulse

    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "pulse.yaml"
        write_config(config, addresses, interval_s)
        app = Pulse.create(config, {})
        await app.start()
        try:
            # every endpoint's first state reached and written
            await asyncio.sleep(SETTLE_INTERVALS * interval_s + 2 * TIMEOUT_MS / 1000 + 1)
            checks_before, failed_before = checks_taken(app)
            loop_thread = threading.get_native_id()
            loop_cpu, cpu = thread_cpu_s(loop_thread), time.process_time()
            await asyncio.sleep(seconds)
            cpu = time.process_time() - cpu
            loop_cpu_after = thread_cpu_s(loop_thread)
            checks_after, failed_after = checks_taken(app)
        finally:
            await app.stop()
    loop_cpu = None if loop_cpu is None or loop_cpu_after is None else loop_cpu_after - loop_cpu
    return checks_after - checks_before, failed_after - failed_before, cpu, loop_cpu


def measure(endpoints: int, seconds: float, interval_s: int) -> Pipeline:
    addresses = icmp.loopback_addresses(endpoints)
    checks, failed, cpu_s, loop_cpu_s = asyncio.run(measure_pulse(addresses, seconds, interval_s))
    pulse_us = cpu_s / checks * 1e6 if checks else float("inf")
    loop_us = None if loop_cpu_s is None or not checks else round(loop_cpu_s / checks * 1e6, 1)
    fping_us: float | None = None
    if icmp.missing_command("fping") is None:
        fping_us = icmp.measure("fping", endpoints).us_per_check
    return Pipeline(
        endpoints=endpoints,
        interval_s=interval_s,
        seconds=seconds,
        checks=checks,
        failed=failed,
        pulse_us_per_check=round(pulse_us, 1),
        fping_us_per_check=None if fping_us is None else round(fping_us, 1),
        ratio=None if not fping_us else round(pulse_us / fping_us, 2),
        loop_thread_us_per_check=loop_us,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", type=int, default=12_000)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--interval", type=int, default=10, help="seconds")
    args = parser.parse_args()
    print(json.dumps(asdict(measure(args.endpoints, args.seconds, args.interval))))


if __name__ == "__main__":
    main()
