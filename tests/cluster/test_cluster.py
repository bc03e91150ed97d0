"""Several ``pulse run`` nodes on one PostgreSQL schema, as users run them (docs/cluster.md):
every endpoint checked by exactly one node, a killed node's endpoints taken over without a
false outage, and each real outage announced once whatever the nodes do meanwhile."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pulse_core.app import load_plugins, open_config
from pulse_core.cluster.ownership import Member, Ownership
from pulse_core.models import Endpoint
from pulse_core.testing.postgresql import postgresql_schema
from pulse_core.testing.receivers import Receiver

from .kit import (
    HEARTBEAT_S,
    Listener,
    check_counts,
    cluster_yaml,
    icmp_targets,
    nodes,
    shared_store,
    wait_for,
)

pytestmark = pytest.mark.asyncio

INTERVAL_S = 2
LEASE_S = 3 * HEARTBEAT_S
SHARE = re.compile(r"cluster of (\d+) live node\(s\): this node \('(\w+)'\) probes (\d+) of")


def shares(logs: list[str], live: int) -> dict[str, int]:
    """Each node's latest share of the endpoints in a cluster of ``live`` nodes."""
    found: dict[str, int] = {}
    for text in logs:
        for count, name, owned in SHARE.findall(text):
            if int(count) == live:
                found[name] = int(owned)
    return found


@pytest.fixture
def url() -> str:
    with postgresql_schema() as schema_url:
        yield schema_url


async def test_three_nodes_check_every_endpoint_once(tmp_path: Path, url: str) -> None:
    text = cluster_yaml(url, icmp_targets(300), INTERVAL_S)
    with nodes(tmp_path, text, "a", "b", "c") as running:
        wait_for(
            lambda: sum(shares([n.text() for n in running], 3).values()) == 300
            and len(shares([n.text() for n in running], 3)) == 3,
            60, "three nodes sharing 300 endpoints",
        )
        time.sleep(2 * INTERVAL_S)  # the last node's first round
        start = time.time()
        time.sleep(10 * INTERVAL_S)
        end = time.time()
        endpoints = open_config(tmp_path / "pulse.yaml", load_plugins()).endpoints
        async with shared_store(url) as store:
            counts = await check_counts(store, [ep.id for ep in endpoints], start, end)
    expected = round((end - start) / INTERVAL_S)  # whole checks: 10 in 20.04 s
    off = {
        endpoint.name: counts[endpoint.id]
        for endpoint in endpoints
        if abs(counts[endpoint.id] - expected) > 1
    }
    assert not off, f"{len(off)} endpoints not checked {expected} ± 1 times: {off}"


async def test_a_killed_node_is_taken_over_without_a_false_outage_and_alerts_go_once(
    tmp_path: Path, url: str
) -> None:
    with Receiver() as hook, Listener() as plc:
        text = cluster_yaml(
            url,
            [*icmp_targets(60), {"type": "tcp", "group": "plant", "host": "127.0.0.1",
                                 "port": plc.port, "name": "PLC"}],
            INTERVAL_S,
            notifiers=[{"name": "hook", "webhook": {"url": f"{hook.url}/hook"}}],
            outbound={"allow_networks": ["127.0.0.0/8"], "allow_plain_http": True},
            alerting={"retry_initial": 0.2, "retry_max": 1},
        )
        endpoints = open_config_text(tmp_path, text)
        with nodes(tmp_path, text, "a", "b", "c") as (a, b, c):
            wait_for(lambda: len(shares([n.text() for n in (a, b, c)], 3)) == 3, 40,
                     "three nodes sharing")
            time.sleep(2 * INTERVAL_S)
            began = time.time()
            a.kill()
            killed = time.time()
            wait_for(lambda: len(shares([b.text(), c.text()], 2)) == 2, 3 * LEASE_S,
                     "two survivors sharing")
            taken_over = time.time()
            time.sleep(3 * INTERVAL_S)
            plc.stop()  # a real outage while the cluster changes
            time.sleep(3 * INTERVAL_S)
            a.start()  # a node joins again
            wait_for(lambda: shares([a.text()], 3).get("a", 0) > 0, 40, "a back")
            plc.start()
            time.sleep(4 * INTERVAL_S)
            b.stop()  # one leaves cleanly
            time.sleep(3 * INTERVAL_S)
            async with shared_store(url) as store:
                outages = await store.outages(None, began, time.time() + 60)
                after = await check_counts(
                    store, [ep.id for ep in endpoints], taken_over + 2 * INTERVAL_S,
                    taken_over + 4 * INTERVAL_S,
                )
                orphans = Ownership([Member(n, "main") for n in "abc"], "main").owned_by(
                    "a", endpoints
                )
                first_after_kill = {
                    endpoint.name: (await store.checks(endpoint.id, killed, killed + 60))[0].ts
                    for endpoint in orphans if endpoint.name != "PLC"
                }
            messages = [request.json() for request in hook.requests]
    plc_id = next(ep.id for ep in endpoints if ep.name == "PLC")
    assert [o.endpoint_id for o in outages] == [plc_id], "a false outage was recorded"
    statuses = [message["status"] for message in messages]
    assert statuses == ["offline", "online"], messages
    late = {
        name: round(ts - killed, 1)
        for name, ts in first_after_kill.items() if ts - killed > LEASE_S + 3 * INTERVAL_S
    }
    assert first_after_kill and not late, f"taken over later than the lease + 3 intervals: {late}"
    missing = [ep.name for ep in endpoints if ep.id != plc_id and after[ep.id] == 0]
    assert not missing, f"not checked after the takeover ({taken_over - killed:.1f} s): {missing}"


def open_config_text(tmp_path: Path, text: str) -> list[Endpoint]:
    path = tmp_path / "expected.yaml"
    path.write_text(text)
    return list(open_config(path, load_plugins()).endpoints)


async def test_a_frozen_node_writes_nothing_for_the_endpoints_it_lost(
    tmp_path: Path, url: str
) -> None:
    """Frozen past its lease, a node's endpoints go to the others; woken, its overdue checks
    are refused by the store (its writes are fenced) instead of doubling the new owners'."""
    text = cluster_yaml(url, icmp_targets(60), INTERVAL_S)
    endpoints = open_config_text(tmp_path, text)
    with nodes(tmp_path, text, "a", "b", "c") as (a, b, c):
        wait_for(lambda: len(shares([n.text() for n in (a, b, c)], 3)) == 3, 40, "sharing")
        time.sleep(2 * INTERVAL_S)
        began = time.time()
        a.signal(signal.SIGSTOP)
        wait_for(lambda: len(shares([b.text(), c.text()], 2)) == 2, 4 * LEASE_S,
                 "two nodes sharing while a is frozen")
        time.sleep(2 * INTERVAL_S)
        a.signal(signal.SIGCONT)
        woken = time.time()
        wait_for(lambda: "joins again" in a.text(), 4 * LEASE_S, "a told it lost its lease")
        time.sleep(2 * INTERVAL_S)
        async with shared_store(url) as store:
            stored: dict[str, list[float]] = {}
            async for page in store.checks_many([ep.id for ep in endpoints], began, woken + 1):
                for check in page:
                    stored.setdefault(check.endpoint_id, []).append(check.ts)
            outages = await store.outages(None, began, time.time() + 60)
    doubled = {
        endpoint.name: gaps
        for endpoint in endpoints
        if (gaps := [round(later - earlier, 2) for earlier, later
                     in zip(stored.get(endpoint.id, []), stored.get(endpoint.id, [])[1:])
                     if later - earlier < INTERVAL_S / 2])
    }
    assert not doubled, f"checked by two nodes around the freeze: {doubled}"
    assert outages == [], "a false outage was recorded"
    assert "lost its cluster lease" in a.text(), "the woken node's writes were not refused"


def restart_postgresql() -> None:
    """Restart the machine's PostgreSQL server (every connection to it ends)."""
    version = next(Path("/etc/postgresql").iterdir()).name
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True, capture_output=True,
    )


@pytest.mark.skipif(not Path("/etc/postgresql").is_dir() or os.geteuid() != 0,
                    reason="restarting PostgreSQL needs the local server and root")
async def test_postgresql_restarted_under_the_cluster_loses_no_check_and_alerts_nothing(
    tmp_path: Path, url: str
) -> None:
    with Receiver() as hook:
        text = cluster_yaml(
            url, icmp_targets(40), INTERVAL_S,
            notifiers=[{"name": "hook", "webhook": {"url": f"{hook.url}/hook"}}],
            outbound={"allow_networks": ["127.0.0.0/8"], "allow_plain_http": True},
        )
        endpoints = open_config_text(tmp_path, text)
        with nodes(tmp_path, text, "a", "b") as (a, b):
            wait_for(lambda: len(shares([a.text(), b.text()], 2)) == 2, 40, "sharing")
            time.sleep(2 * INTERVAL_S)
            began = time.time()
            restart_postgresql()
            restarted = time.time()
            time.sleep(6 * INTERVAL_S)
            ended = time.time()
            async with shared_store(url) as store:
                counts = await check_counts(store, [ep.id for ep in endpoints], began, ended)
                outages = await store.outages(None, began, ended + 60)
            logs = a.text() + b.text()
        messages = list(hook.requests)
    expected = (ended - began) / INTERVAL_S
    short = {ep.name: counts[ep.id] for ep in endpoints if counts[ep.id] < expected - 1}
    assert not short, f"checks lost over a restart of {restarted - began:.1f} s: {short}"
    assert outages == [] and messages == []
    assert "declared dead" not in logs, "a node was declared dead over the restart"
