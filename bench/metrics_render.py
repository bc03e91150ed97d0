"""``GET /api/metrics`` with many endpoints: how long a scrape takes.

A real Pulse with its web server runs in this process on a generated configuration of N tcp
endpoints (names with quotes and backslashes, so every label needs escaping) in 10 groups,
checked once an hour so probing stays out of the measurement. Every endpoint's live state is
given a few checks (up, or down with a failed check), as after some minutes of monitoring.

Measured, over R scrapes each: reading the live state on the event loop; formatting in the
worker thread (text 0.0.4 and OpenMetrics); whole HTTP requests made by ``curl`` in its own
process (so the client's work is not counted), plain and gzip-compressed as Prometheus asks;
and, for comparison, the same per-endpoint families built and rendered by prometheus_client's
objects. Goal: a whole scrape of 10,000 endpoints within 100 ms.

``python bench/metrics_render.py --endpoints 10000`` prints a JSON line (milliseconds, median).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from pulse_exporter_prometheus.exposition import Scrape, negotiate

from pulse_core.contract import EndpointStatus
from pulse_core.models import CheckResult, CheckStatus
from pulse_core.testing.server import running_pulse

OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def config(endpoints: int) -> str:
    blocks = (endpoints + 253) // 254
    targets = [
        {"type": "tcp", "name": f'PLC "line {block}" \\', "cidr": f"127.{10 + block // 250}.{block % 250}.0/24",
         "port": 9, "group": f"group-{block % 10}"}
        for block in range(blocks)
    ]
    return json.dumps({
        "version": 1,
        "defaults": {"interval_seconds": 3600, "max_addresses_per_target": 256},
        "groups": [{"id": f"group-{index}", "name": f"Group {index}"} for index in range(10)],
        "targets": targets,
    })


def fill_live_state(pulse: object, endpoints: int) -> None:
    states = list(pulse.monitor.states.values())[:endpoints]  # type: ignore[attr-defined]
    pulse.monitor.states = {state.endpoint.id: state for state in states}  # type: ignore[attr-defined]
    now = time.time()
    for index, state in enumerate(states):
        up = index % 7 != 0
        for step in range(3):
            status = CheckStatus.UP if up else CheckStatus.DOWN
            rtt = 1.5 + index % 40 if up else None
            state.observe(CheckResult(state.endpoint.id, now - 3 + step, status, rtt, None if up else "refused"))


def median_ms(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 1)


def with_prometheus_client_objects(readings: list[EndpointStatus]) -> bytes:
    """The per-endpoint families as prometheus_client objects, for comparison."""
    status = GaugeMetricFamily("pulse_endpoint_status", "status", labels=["endpoint", "group", "id"])
    rtt = GaugeMetricFamily("pulse_endpoint_response_time", "ms", labels=["endpoint", "group", "id"])
    checks = CounterMetricFamily("pulse_checks", "checks", labels=["endpoint", "id", "status"])
    for r in readings:
        name, group_id, id_ = r.endpoint.name, r.endpoint.group_id, r.endpoint.id
        status.add_metric([name, group_id, id_], 1 if r.live_status == "up" else 0)
        rtt.add_metric([name, group_id, id_], r.last_rtt_ms or 0.0)
        checks.add_metric([name, id_, "success"], r.checks_up)
        checks.add_metric([name, id_, "failure"], r.checks_down)

    class Families:
        def collect(self) -> list[object]:
            return [status, rtt, checks]

    return generate_latest(Families())  # type: ignore[arg-type]


async def measure(endpoints: int, repeat: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        async with running_pulse(config(endpoints), Path(directory)) as server:
            pulse = server.pulse
            fill_live_state(pulse, endpoints)
            text, openmetrics = negotiate(""), negotiate(OPENMETRICS)
            scrape = Scrape.take(pulse, time.time())
            result: dict[str, object] = {
                "endpoints": len(scrape.endpoints),
                "read_on_loop_ms": median_ms(lambda: Scrape.take(pulse, time.time()), repeat),
                "format_text_ms": median_ms(lambda: scrape.render(text), repeat),
                "format_openmetrics_ms": median_ms(lambda: scrape.render(openmetrics), repeat),
                "prometheus_client_objects_ms": median_ms(
                    lambda: with_prometheus_client_objects(scrape.endpoints), repeat
                ),
                "bytes_text": len(scrape.render(text)),
            }
            url = f"{server.base_url}/api/metrics"
            for name, options in (
                ("http_text_ms", ()),
                ("http_openmetrics_gzip_ms", ("--compressed", "-H", f"Accept: {OPENMETRICS}")),
            ):
                result[name] = statistics.median([await curl_ms(url, options) for _ in range(repeat)])
            return result


async def curl_ms(url: str, options: tuple[str, ...]) -> float:
    curl = await asyncio.create_subprocess_exec(
        "curl", "-sf", "-o", "/dev/null", "-w", "%{time_total}", *options, url,
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await curl.communicate()
    if curl.returncode != 0:
        raise RuntimeError(f"curl {url} failed with exit code {curl.returncode}")
    return round(float(output) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.endpoints, args.repeat))))


if __name__ == "__main__":
    main()
