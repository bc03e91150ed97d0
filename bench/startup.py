"""Start-up: from ``pulse run`` to monitoring, on a large site stored in SQLite.

A generated configuration of N tcp endpoints on loopback addresses (port 9, where nothing
listens: every check is a quick refusal), in groups of 250 under one parent, checked every
``--interval`` seconds, one failed check enough for an endpoint to be offline (so its first
check stores its first state), its SQLite file in a scratch folder. Each figure is wall time from
starting the process (the ``pulse`` command beside this interpreter) to its log line
``monitoring N endpoints``, the median of ``--runs`` (``..._max_s`` the largest):

- ``first_start_s``: an empty store (a fresh folder each run);
- ``restart_s``: the store of a run that went on until every endpoint's first state was
  stored, started again (its catalogue, states and configuration version in place);
- ``all_checked_s``: in that run, from starting the process to every endpoint's first state
  stored (the store read every 0.2 s): its first check taken and written, which is when a
  user sees it. The goal at
  100,000 endpoints is one interval plus 2 s (``--endpoints 100000 --probe-workers 2``).

The processes keep bytecode caches, as an installed Pulse does (pip compiles a package's
modules when it installs it; an editable checkout writes ``__pycache__`` at its first run):
in a folder of the scratch directory (``PYTHONPYCACHEPREFIX``), so the checkout is not
written, filled by a start before the timed ones. ``--no-bytecode-cache`` starts them with
``PYTHONDONTWRITEBYTECODE=1`` instead, as some shells and containers set it: Python then
compiles Pulse's own modules (about 300 in a checkout installed with ``pip install -e``) at
every start.

``..._cpu_s`` is the CPU time the process had used when it logged that line
(``/proc/<pid>/stat``): start-up is work for one core, so on a quiet machine it is close to
the wall time, and on a shared one it is the figure that compares.

In the same run, each in a process of its own, the CPU time of the parts that come before
monitoring, for where the time goes:

- ``interpreter_s``: ``python -c pass`` (wall time);
- ``imports_cpu_s``: importing ``pulse_core.cli`` and loading every plugin, their registries
  built (what ``pulse`` does before it reads its arguments);
- ``config_load_cpu_s``: then the configuration read and loaded, in the same process.

The rest is the store opened and its catalogue written, the states restored and the first
schedule laid out. Goal: both starts within 2 s at 20,000 endpoints.

``python bench/startup.py --endpoints 20000 --runs 3`` prints a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from pulse_core.testing.listeners import free_tcp_port

GROUP_SIZE = 250
MONITORING = re.compile(rb"monitoring (\d+) endpoints")
#: the command users run, installed beside this interpreter
PULSE = str(Path(sys.executable).with_name("pulse"))


def config(endpoints: int, interval_s: int, database: Path) -> str:
    groups = (endpoints + GROUP_SIZE - 1) // GROUP_SIZE
    lines = [
        "version: 1",
        "defaults:",
        f"  interval_seconds: {interval_s}",
        "  timeout_ms: 1000",
        "  failure_threshold: 1  # an endpoint's first check stores its first state",
        "storage:",
        f"  url: sqlite:///{database}",
        "groups:",
        "  - id: site",
        "    name: Site",
    ]
    for group in range(groups):
        lines += [f"  - id: area-{group:03d}", f"    name: Area {group:03d}", "    parent_id: site"]
    lines.append("targets:")
    for n in range(endpoints):
        lines += [
            "  - type: tcp",
            f"    host: 127.{10 + n // 62_500}.{n // 250 % 250}.{n % 250 + 1}",
            "    port: 9",
            f"    group: area-{n // GROUP_SIZE:03d}",
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Started:
    """What one start of ``pulse run`` measured, in seconds from starting the process."""

    monitoring_s: float
    #: CPU time the process had used at its monitoring line
    cpu_s: float
    #: to every endpoint's first state stored, when the run waited for it
    all_checked_s: float | None


def child_environment(folder: Path, bytecode_cache: bool) -> dict[str, str]:
    """The environment of the processes measured: data in ``folder``; bytecode cached in it
    or, without ``bytecode_cache``, compiled at every start."""
    environment = {**os.environ, "PULSE_DATA_DIR": str(folder)}
    if bytecode_cache:
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        environment["PYTHONPYCACHEPREFIX"] = str(folder / "bytecode")
    else:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment.pop("PYTHONPYCACHEPREFIX", None)
    return environment


async def start(
    folder: Path, endpoints: int, environment: Mapping[str, str], hold: float = 0.0,
    probe_workers: int = 0,
) -> Started:
    """Start ``pulse run``, time it to its monitoring line; it runs ``hold`` seconds more
    (or, given a negative ``hold``, until every endpoint's state is stored), then is stopped
    with SIGINT."""
    began = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        PULSE, "run", "--config", str(folder / "pulse.yaml"), "--host", "127.0.0.1",
        "--port", str(free_tcp_port()), "--probe-workers", str(probe_workers),
        env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = bytearray()
    try:
        while (found := MONITORING.search(line := await process.stdout.readline())) is None:
            output += line
            if not line:
                raise SystemExit(f"pulse run ended before monitoring:\n{output.decode()[-3000:]}")
        seconds = time.monotonic() - began
        cpu_s = _cpu_seconds(process.pid)
        if int(found.group(1)) != endpoints:
            raise SystemExit(f"monitoring {found.group(1)} endpoints, not {endpoints}")
        draining = asyncio.create_task(process.stdout.read())
        all_checked_s = None
        if hold >= 0:
            await asyncio.sleep(hold)
        else:
            await _every_state_stored(folder / "pulse.db", endpoints)
            all_checked_s = time.monotonic() - began
        process.send_signal(signal.SIGINT)
        await draining
        await process.wait()
        return Started(seconds, cpu_s, all_checked_s)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _every_state_stored(database: Path, endpoints: int, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(database, timeout=10)) as stored:
            (states,) = stored.execute("SELECT count(*) FROM endpoint_snapshots").fetchone()
        if states >= endpoints:
            return
        await asyncio.sleep(0.2)
    raise SystemExit(f"{states} of {endpoints} states stored after {timeout_s:g} s")


async def seconds_of(*argv: str) -> float:
    began = time.monotonic()
    process = await asyncio.create_subprocess_exec(*argv)
    if await process.wait() != 0:
        raise SystemExit(f"{argv} failed")
    return time.monotonic() - began


#: imports and plugins, then the configuration, the CPU time of each taken in the child
PARTS = """\
import json, sys, time
began = time.process_time()
import pulse_core.cli
from pulse_core.app import load_plugins, open_config
plugins = load_plugins()
plugins.registries
imported = time.process_time()
open_config(sys.argv[1], plugins)
print(json.dumps([imported - began, time.process_time() - imported]))
"""


async def parts(path: Path, environment: Mapping[str, str]) -> tuple[float, float]:
    """CPU seconds the imports (with the plugins) and the configuration's load take."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PARTS, str(path), stdout=asyncio.subprocess.PIPE, env=environment
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise SystemExit("timing the imports and the configuration's load failed")
    imports, load = json.loads(output)
    return imports, load


async def main(
    endpoints: int, runs: int, interval_s: int, bytecode_cache: bool, probe_workers: int
) -> None:
    figures: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        figures.setdefault(name, []).append(seconds)

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        environment = child_environment(folder, bytecode_cache)
        text = config(endpoints, interval_s, folder / "pulse.db")
        (folder / "pulse.yaml").write_text(text)

        async def first_start() -> Started:
            for database in folder.glob("pulse.db*"):
                database.unlink()
            return await start(folder, endpoints, environment, probe_workers=probe_workers)

        if bytecode_cache:
            await first_start()  # writes the caches
        for _ in range(runs):
            started = await first_start()
            add("first_start", started.monitoring_s)
            add("first_start_cpu", started.cpu_s)
        filled = await start(folder, endpoints, environment, hold=-1, probe_workers=probe_workers)
        assert filled.all_checked_s is not None, "the run waited for every state"
        add("all_checked", filled.all_checked_s)
        for _ in range(runs):
            started = await start(folder, endpoints, environment, probe_workers=probe_workers)
            add("restart", started.monitoring_s)
            add("restart_cpu", started.cpu_s)
        for _ in range(runs):
            add("interpreter", await seconds_of(sys.executable, "-c", "pass"))
            imports, load = await parts(folder / "pulse.yaml", environment)
            add("imports_cpu", imports)
            add("config_load_cpu", load)
    result: dict[str, object] = {"endpoints": endpoints, "runs": runs}
    for name, values in figures.items():
        result[f"{name}_s"] = round(statistics.median(values), 2)
        if name in ("first_start", "restart"):  # what the goal judges
            result[f"{name}_max_s"] = round(max(values), 2)
    result["bytecode"] = "cached" if bytecode_cache else "compiled at every start"
    result["load_average"] = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--interval", type=int, default=10,
                        help="seconds between checks of an endpoint (the run that fills the "
                        "store lasts about two)")
    parser.add_argument("--probe-workers", type=int, default=0,
                        help="probe worker processes (pulse run --probe-workers)")
    parser.add_argument("--no-bytecode-cache", dest="bytecode_cache", action="store_false",
                        help="start with PYTHONDONTWRITEBYTECODE=1: every module compiled")
    arguments = parser.parse_args()
    asyncio.run(main(
        arguments.endpoints, arguments.runs, arguments.interval, arguments.bytecode_cache,
        arguments.probe_workers,
    ))
