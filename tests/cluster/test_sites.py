"""Remote sites: nodes of a site probe its endpoints; when the last of them dies, the
site's endpoints show as ``unknown`` (not offline) and one "site unreachable" alert goes out,
then one when a node of the site is back."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from pulse_core.testing.postgresql import postgresql_schema
from pulse_core.testing.receivers import Receiver

from .kit import admin_key, cluster_yaml, icmp_targets, nodes, wait_for
from .test_cluster import shares

pytestmark = pytest.mark.asyncio


def statuses(url: str, key: str) -> dict[str, str]:
    answer = httpx.get(f"{url}/api/status/live", headers={"Authorization": f"Bearer {key}"})
    answer.raise_for_status()
    return {item["endpoint"]["name"] or "": item["status"] for item in answer.json()["items"]}


async def test_a_site_without_live_nodes_is_unknown_and_alerts_once(tmp_path: Path) -> None:
    with postgresql_schema() as url, Receiver() as hook:
        text = cluster_yaml(
            url,
            [*icmp_targets(20), *icmp_targets(20, group="north-hall", second_octet=1)],
            notifiers=[{"name": "hook", "webhook": {"url": f"{hook.url}/hook"}}],
            outbound={"allow_networks": ["127.0.0.0/8"], "allow_plain_http": True},
            alerting={"retry_initial": 0.2, "retry_max": 1},
        )
        sites = {"n1": "north", "n2": "north"}
        with nodes(tmp_path, text, "m1", "n1", "n2", sites=sites) as (m1, n1, n2):
            wait_for(lambda: len(shares([n.text() for n in (m1, n1, n2)], 3)) == 3, 40,
                     "three nodes sharing")
            assert shares([m1.text()], 3)["m1"] == 20, "the main node probes main's alone"
            assert sum(shares([n1.text(), n2.text()], 3).values()) == 20
            key = admin_key(tmp_path / "pulse.yaml")
            wait_for(lambda: set(statuses(m1.url, key).values()) == {"up"}, 20, "all up")
            n1.kill()
            n2.kill()
            wait_for(lambda: "no live Pulse node at site north" in m1.text(), 20,
                     "the site noticed")
            seen = statuses(m1.url, key)
            north = {name: status for name, status in seen.items() if name.startswith("ICMP 127.1.")}
            main = {name: status for name, status in seen.items() if name.startswith("ICMP 127.0.")}
            assert set(north.values()) == {"unknown"} and len(north) == 20, north
            assert set(main.values()) == {"up"} and len(main) == 20, main
            await hook.wait_for_requests(1, timeout_s=10)
            time.sleep(3)  # nothing more comes
            n1.start()
            wait_for(lambda: shares([n1.text()], 2).get("n1") == 20, 40, "n1 back")
            await hook.wait_for_requests(2, timeout_s=10)
            time.sleep(3)
            messages = [request.json() for request in hook.requests]
    assert [(m["endpoint"]["name"], m["status"]) for m in messages] == [
        ("Site north", "offline"), ("Site north", "online"),
    ], messages
    assert "no live Pulse node at site north" in str(messages[0])
