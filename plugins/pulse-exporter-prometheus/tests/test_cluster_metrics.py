"""The exporter in a cluster: each endpoint exported once, by the node that probes it, and the
members' heartbeats; a single node keeps its output and counts itself as one node."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families as parse_text

from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.postgresql import postgresql_schema
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.waiting import eventually

NODE_NAMES = ("node-a", "node-b")


def cluster_config(url: str) -> str:
    refused = free_tcp_port()
    return json.dumps({
        "version": 1,
        "defaults": {"interval_seconds": 1, "timeout_ms": 300, "retries": 0},
        "groups": [{"id": "plant", "name": "Plant"}],
        "targets": [
            {"type": "tcp", "name": "block", "cidr": "127.0.4.0/28", "port": refused,
             "group": "plant"},
            {"type": "tcp", "name": "spare", "host": "127.0.5.1", "port": refused,
             "group": "plant", "enabled": False},
        ],
        "storage": {"url": url},
        "cluster": {"heartbeat_seconds": 1},
    })


async def scrape(server: RunningPulse) -> tuple[bytes, dict[str, object]]:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        reply = await client.get("/api/metrics")
    assert reply.status_code == 200
    return reply.content, {family.name: family for family in parse_text(reply.text)}


def endpoint_ids(families: dict[str, object]) -> set[str]:
    samples = families["pulse_endpoint_status"].samples  # type: ignore[attr-defined]
    return {sample.labels["id"] for sample in samples}


async def test_single_node_counts_itself_and_shows_no_heartbeats(
    exporter_server: RunningPulse,
) -> None:
    _, families = await scrape(exporter_server)

    assert families["pulse_cluster_nodes"].samples[0].value == 1  # type: ignore[attr-defined]
    assert "pulse_cluster_node_heartbeat_age_seconds" not in families
    enabled = {ep.id for ep in exporter_server.pulse.endpoints() if ep.enabled}
    assert endpoint_ids(families) == enabled


async def test_each_endpoint_is_exported_once_across_the_cluster(
    tmp_path: Path, promtool_lint: Callable[[bytes], None]
) -> None:
    with postgresql_schema() as url:
        text = cluster_config(url)
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        environ_a = dict(os.environ, PULSE_NODE_NAME=NODE_NAMES[0])
        environ_b = dict(os.environ, PULSE_NODE_NAME=NODE_NAMES[1])
        async with (
            running_pulse(text, tmp_path / "a", environ=environ_a) as node_a,
            running_pulse(text, tmp_path / "b", environ=environ_b) as node_b,
        ):
            enabled = {ep.id for ep in node_a.pulse.endpoints() if ep.enabled}

            async def once_shared_out() -> list[tuple[bytes, dict[str, object]]] | None:
                scrapes = [await scrape(node_a), await scrape(node_b)]
                ids_a, ids_b = (endpoint_ids(families) for _, families in scrapes)
                both_live = all(
                    families["pulse_cluster_nodes"].samples[0].value == 2  # type: ignore[attr-defined]
                    for _, families in scrapes
                )
                shared = ids_a and ids_b and not ids_a & ids_b and ids_a | ids_b == enabled
                return scrapes if both_live and shared else None

            scrapes = await eventually(once_shared_out, timeout_s=30)

    for name, (body, families) in zip(NODE_NAMES, scrapes):
        promtool_lint(body)
        for family in ("pulse_endpoint_status", "pulse_checks", "pulse_endpoints"):
            samples = families[family].samples  # type: ignore[attr-defined]
            assert {sample.labels["node"] for sample in samples} == {name}
        counted = families["pulse_endpoints"].samples  # type: ignore[attr-defined]
        assert sum(sample.value for sample in counted) == len(endpoint_ids(families))
        ages = families["pulse_cluster_node_heartbeat_age_seconds"].samples  # type: ignore[attr-defined]
        assert {(s.labels["node"], s.labels["site"]) for s in ages} == {
            (node, "main") for node in NODE_NAMES
        }
        assert all(sample.value >= 0 for sample in ages)
