"""A real Prometheus server scrapes a running Pulse with the documented scrape job
(``config/prometheus.yml``, interval shortened) and answers queries with Pulse's values."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio
import yaml

from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse

SCRAPE_CONFIG = Path(__file__).resolve().parents[3] / "config" / "prometheus.yml"



def scrape_config_for(pulse_address: str) -> str:
    document = yaml.safe_load(SCRAPE_CONFIG.read_text())
    (job,) = document["scrape_configs"]
    assert job["metrics_path"] == "/api/metrics"
    job["static_configs"] = [{"targets": [pulse_address]}]
    job["scrape_interval"] = "1s"
    job["scrape_timeout"] = "1s"
    return yaml.safe_dump(document)


@pytest_asyncio.fixture
async def prometheus_for(tmp_path: Path) -> AsyncIterator[object]:
    """Starts Prometheus on a free loopback port scraping a given address; yields a function
    ``start(address) -> base URL`` and stops the server afterwards."""
    processes: list[asyncio.subprocess.Process] = []

    async def start(pulse_address: str) -> str:
        config_path = tmp_path / "prometheus.yml"
        config_path.write_text(scrape_config_for(pulse_address))
        port = free_tcp_port()
        process = await asyncio.create_subprocess_exec(
            "prometheus",
            f"--config.file={config_path}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=(tmp_path / "prometheus.log").open("wb"),
        )
        processes.append(process)
        return f"http://127.0.0.1:{port}"

    yield start
    for process in processes:
        process.terminate()
        await process.wait()


async def status_in_prometheus(base_url: str) -> dict[str, float]:
    """``pulse_endpoint_status`` by endpoint id, as Prometheus answers it now."""
    async with httpx.AsyncClient(base_url=base_url) as client:
        try:
            reply = await client.get("/api/v1/query", params={"query": "pulse_endpoint_status"})
        except httpx.TransportError:
            return {}  # still starting
    if reply.status_code != 200:
        return {}
    return {
        item["metric"]["id"]: float(item["value"][1]) for item in reply.json()["data"]["result"]
    }


async def eventually_equal(base_url: str, expected: dict[str, float], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    seen: dict[str, float] = {}
    while time.monotonic() < deadline:
        seen = await status_in_prometheus(base_url)
        if seen == expected:
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"Prometheus answered {seen}, expected {expected}")


def config(listener: TcpListener) -> str:
    refused = free_tcp_port()
    return json.dumps({
        "version": 1,
        "defaults": {"interval_seconds": 1, "timeout_ms": 300, "retries": 0},
        "groups": [{"id": "network", "name": "Network"}, {"id": "servers", "name": "Servers"}],
        "targets": [
            {"type": "tcp", "name": "router-01", "host": "127.0.0.1", "port": listener.port,
             "group": "network"},
            {"type": "tcp", "name": "server-01", "host": "127.0.0.1", "port": refused,
             "group": "servers"},
            {"type": "tcp", "name": 'odd "name" \\ ☃', "host": "127.0.0.2", "port": refused,
             "group": "servers"},
        ],
    })


async def test_prometheus_sees_every_endpoint_and_a_status_change(
    tcp_listener: TcpListener, tmp_path: Path, prometheus_for: object
) -> None:
    async with running_pulse(config(tcp_listener), tmp_path) as server:
        ids = {ep.name: ep.id for ep in server.pulse.config.endpoints}
        prometheus = await prometheus_for(server.base_url.removeprefix("http://"))  # type: ignore[operator]
        expected = {ids["router-01"]: 1.0, ids["server-01"]: 0.0, ids['odd "name" \\ ☃']: 0.0}
        await eventually_equal(prometheus, expected)

        await tcp_listener.stop()
        await eventually_equal(prometheus, {**expected, ids["router-01"]: 0.0})
        await assert_labels_kept(prometheus, server)


async def assert_labels_kept(prometheus: str, server: RunningPulse) -> None:
    """Names with quotes, backslashes and unicode arrive in Prometheus unchanged."""
    async with httpx.AsyncClient(base_url=prometheus) as client:
        reply = await client.get("/api/v1/query", params={"query": "pulse_endpoint_status"})
    labels = {item["metric"]["id"]: item["metric"] for item in reply.json()["data"]["result"]}
    for endpoint in server.pulse.config.endpoints:
        assert labels[endpoint.id]["endpoint"] == endpoint.name
        assert labels[endpoint.id]["group"] == endpoint.group_id
        assert labels[endpoint.id]["job"] == "thingconnect-pulse"
