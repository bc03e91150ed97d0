"""An incident opened by one node is resolved by the node that sees the recovery: the
thread's reference (the ServiceNow record) is kept in the shared database."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from pulse_core.app import load_plugins, open_config
from pulse_core.cluster.ownership import Member, Ownership
from pulse_core.testing.postgresql import postgresql_schema
from pulse_core.testing.receivers import ServiceNowReceiver

from .kit import (
    Listener,
    cluster_yaml,
    icmp_targets,
    nodes,
    shared_store,
    wait_for,
)
from .test_cluster import shares

pytestmark = pytest.mark.asyncio


async def test_the_node_that_sees_the_recovery_resolves_the_other_nodes_incident(
    tmp_path: Path,
) -> None:
    with postgresql_schema() as url, ServiceNowReceiver() as servicenow, Listener() as plc:
        text = cluster_yaml(
            url,
            [*icmp_targets(10), {"type": "tcp", "group": "plant", "host": "127.0.0.1",
                                 "port": plc.port, "name": "PLC"}],
            notifiers=[{"name": "servicenow", "webhook": {
                "url": servicenow.incident_url, "method": "POST",
                "headers": {"Content-Type": "application/json"},
                "body": {
                    "short_description": "Network endpoint {{endpoint.name}} is {{status}}",
                    "urgency": "{{#eq status 'offline'}}1{{else}}3{{/eq}}",
                },
            }}],
            outbound={"allow_networks": ["127.0.0.0/8"], "allow_plain_http": True},
            alerting={"retry_initial": 0.2, "retry_max": 1},
        )
        with nodes(tmp_path, text, "a", "b") as running:
            wait_for(lambda: len(shares([n.text() for n in running], 2)) == 2, 60, "sharing")
            config = open_config(tmp_path / "pulse.yaml", load_plugins())
            plc_endpoint = next(ep for ep in config.endpoints if ep.name == "PLC")
            owner_name = Ownership([Member("a", "main"), Member("b", "main")], "main").owner(
                plc_endpoint
            )
            owner = next(node for node in running if node.name == owner_name)
            survivor = next(node for node in running if node.name != owner_name)
            plc.stop()
            await servicenow.wait_for_requests(1, timeout_s=20)
            # killed once the opening is on record (killed between the answer and the
            # record, the survivor would send it again: docs/cluster.md)
            async with shared_store(url) as store:
                for _ in range(100):
                    if (await store.outbox_health())["servicenow"].sent == 1:
                        break
                    await asyncio.sleep(0.1)
                assert (await store.outbox_health())["servicenow"].sent == 1
            owner.kill()
            wait_for(lambda: len(shares([survivor.text()], 1)) == 1, 30, "the survivor alone")
            plc.start()
            await servicenow.wait_for_requests(2, timeout_s=30)
            time.sleep(3)  # nothing more comes
            requests = list(servicenow.requests)
    (sys_id,) = servicenow.incidents
    assert [(request.method, request.path) for request in requests] == [
        ("POST", "/api/now/table/incident"), ("PATCH", f"/api/now/table/incident/{sys_id}"),
    ]
    assert servicenow.incidents[sys_id]["state"] == "6"
