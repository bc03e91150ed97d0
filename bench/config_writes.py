"""Configuration writes on a large site: the endpoint write API and whole-file applies.

A real Pulse with its web server runs in this process on N tcp targets (loopback, port 9,
checked hourly so probing stays out of the figures), in groups of 250 under one parent, its
file and its SQLite store in a scratch folder as ``pulse run`` would have them. Requests are
made by ``curl`` in its own process, which reports the whole exchange; each kind runs
``--runs`` times and its median (``..._ms``) and largest time (``..._max_ms``) are printed:

- ``first_post_endpoint_ms``: the first ``POST /api/endpoints`` after start-up, once (it
  reads the layout of the running text, see docs/performance.md);
- ``post_endpoint_ms``: ``POST /api/endpoints``, one target appended;
- ``put_endpoint_ms``: ``PUT /api/endpoints/{id}``, that target renamed;
- ``delete_endpoint_ms``: ``DELETE /api/endpoints/{id}``, that target removed;
- ``apply_one_target_ms``: ``POST /api/configuration/apply`` of the running text with one
  target renamed;
- ``apply_whole_reload_ms``: an apply that renames a group, which loads the whole file (its
  targets entries, unchanged, are taken as they were: docs/performance.md); the reference
  of the same run (``..._to_reload`` are the ratios). It runs first in each round, followed
  by a pause of ``PAUSE_S``, as a person would take before the next write;
- ``apply_default_changed_ms``: an apply that changes ``defaults.timeout_ms``, which every
  endpoint inherits: all 10,000 are updated (in the store, the scheduler, the state table);
- ``..._cpu_ms`` beside each apply: the CPU time of this process (the Pulse, every thread,
  and the little it takes to start curl) while the request ran; wall time on a shared
  machine also counts the other jobs' share of the cores;
- ``versions_list_ms`` / ``version_detail_ms``: the version list and one version.

Goal: the median of every write, one target or the whole file, at most 300 ms for 10,000
targets.

``python bench/config_writes.py --endpoints 10000 --runs 5`` prints a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from pulse_core.testing.server import RunningPulse, running_pulse

GROUP_SIZE = 250
#: seconds after a whole reload before the next write (see ``one_round``)
PAUSE_S = 2.0


def config(endpoints: int) -> str:
    groups = (endpoints + GROUP_SIZE - 1) // GROUP_SIZE
    lines = [
        "version: 1",
        "defaults: {interval_seconds: 3600, timeout_ms: 1000}",
        "server: {rate_limit_per_minute: 0}",
        "groups:",
        "  - {id: site, name: Site}",
        *(f"  - {{id: area-{g:03d}, name: Area {g:03d}, parent_id: site}}" for g in range(groups)),
        "targets:",
    ]
    lines += [
        f"  - {{type: tcp, host: 127.{10 + n // 62_500}.{n // 250 % 250}.{n % 250 + 1}, "
        f"port: 9, group: area-{n // GROUP_SIZE:03d}}}"
        for n in range(endpoints)
    ]
    return "\n".join(lines) + "\n"


async def curl(
    server: RunningPulse, method: str, path: str, body: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[float, bytes]:
    """Milliseconds for the whole request as curl measured it, and the answer."""
    headers = [part for name, value in server.auth_headers.items() for part in ("-H", f"{name}: {value}")]
    data = ["-H", f"Content-Type: {content_type}", "--data-binary", "@-"] if body is not None else []
    with tempfile.NamedTemporaryFile() as answer:
        process = await asyncio.create_subprocess_exec(
            "curl", "-sS", "-X", method, "-o", answer.name, "-w", "%{http_code} %{time_total}",
            *headers, *data, server.base_url + path,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await process.communicate(body)
        status, seconds = output.decode().split()
        content = Path(answer.name).read_bytes()
    if not status.startswith("2"):
        raise SystemExit(f"{method} {path}: HTTP {status}: {content[:500]!r}")
    return float(seconds) * 1000, content


class Timings(dict[str, list[float]]):
    def add(self, name: str, millis: float) -> None:
        self.setdefault(name, []).append(millis)

    def figures(self) -> dict[str, object]:
        figures: dict[str, object] = {}
        for name, millis in self.items():
            figures[f"{name}_ms"] = round(statistics.median(millis), 1)
            figures[f"{name}_max_ms"] = round(max(millis), 1)
        reload = statistics.median(self["apply_whole_reload"])
        for name in ("post_endpoint", "apply_one_target"):
            figures[f"{name}_to_reload"] = f"{statistics.median(self[name]) / reload:.2f}"
        return figures


async def apply(server: RunningPulse, timings: Timings, name: str, text: str) -> None:
    """``POST /api/configuration/apply`` of ``text``: its time as curl measured it, and the
    CPU time this process (the Pulse) spent meanwhile."""
    cpu = time.process_time()
    millis, _ = await curl(server, "POST", "/api/configuration/apply", text.encode(), "text/yaml")
    timings.add(name, millis)
    timings.add(f"{name}_cpu", (time.process_time() - cpu) * 1000)


async def one_round(server: RunningPulse, timings: Timings, number: int) -> None:
    _, running = await curl(server, "GET", "/api/configuration/current")
    text = running.decode()
    group_renamed = text.replace("name: Site", f"name: Site {number}", 1)
    await apply(server, timings, "apply_whole_reload", group_renamed)
    await asyncio.sleep(PAUSE_S)
    timeout = "timeout_ms: 1000" if number % 2 == 0 else "timeout_ms: 1100"
    slower = re.sub(r"timeout_ms: \d+", timeout, group_renamed, count=1)
    await apply(server, timings, "apply_default_changed", slower)

    address = f"127.200.{number // 250}.{number % 250 + 1}"
    millis, answer = await curl(
        server, "POST", "/api/endpoints",
        json.dumps({"name": f"bench {number}", "address": address, "type": "tcp", "port": 9}).encode(),
    )
    timings.add("post_endpoint", millis)
    endpoint_id = json.loads(answer)["id"]
    millis, _ = await curl(
        server, "PUT", f"/api/endpoints/{endpoint_id}",
        json.dumps({"name": f"bench {number} renamed"}).encode(),
    )
    timings.add("put_endpoint", millis)
    millis, _ = await curl(server, "DELETE", f"/api/endpoints/{endpoint_id}")
    timings.add("delete_endpoint", millis)

    _, running = await curl(server, "GET", "/api/configuration/current")
    text = running.decode()
    first_target = text.index("- type: tcp", text.index("targets:"))
    renamed = text[:first_target] + f"- name: renamed {number}\n  " + text[first_target + 2:]
    await apply(server, timings, "apply_one_target", renamed)

    millis, answer = await curl(server, "GET", "/api/configuration/versions")
    timings.add("versions_list", millis)
    newest = json.loads(answer)["items"][0]["id"]
    millis, _ = await curl(server, "GET", f"/api/configuration/versions/{newest}")
    timings.add("version_detail", millis)


async def first_write(server: RunningPulse) -> float:
    """``POST /api/endpoints`` once, first after start-up: it also reads the layout of the
    running text, which later writes find ready. The target is deleted again."""
    millis, answer = await curl(
        server, "POST", "/api/endpoints",
        json.dumps({"address": "127.201.0.1", "type": "tcp", "port": 9}).encode(),
    )
    await curl(server, "DELETE", f"/api/endpoints/{json.loads(answer)['id']}")
    return millis


async def main(endpoints: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        async with running_pulse(config(endpoints), Path(directory)) as server:
            timings = Timings()
            first = await first_write(server)
            await one_round(server, Timings(), 0)  # the first round warms what is built once
            for number in range(1, runs + 1):
                await one_round(server, timings, number)
    figures = {"endpoints": endpoints, "runs": runs, "first_post_endpoint_ms": round(first, 1),
               **timings.figures()}
    figures["load_average"] = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5, help="rounds of every request")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.endpoints, arguments.runs))
