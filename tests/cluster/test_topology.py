"""Topology across a cluster: a switch and the devices behind it probed by different nodes
still make one message for the switch naming every device it cut off, and one when it is
back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pulse_core.app import load_plugins, open_config
from pulse_core.cluster.ownership import Member, Ownership
from pulse_core.testing.listeners import port_below_ephemeral
from pulse_core.testing.postgresql import postgresql_schema
from pulse_core.testing.receivers import Receiver

from .kit import Listener, cluster_yaml, nodes, wait_for
from .test_cluster import shares

pytestmark = pytest.mark.asyncio

DEVICES = 10


async def test_a_switch_and_its_devices_on_different_nodes_make_one_message(
    tmp_path: Path,
) -> None:
    hosts = [f"127.0.8.{index}" for index in range(1, DEVICES + 2)]
    port = port_below_ephemeral(hosts[0])
    listeners = [Listener(host, port) for host in hosts]
    for listener in listeners:
        listener.start()
    try:
        with postgresql_schema() as url, Receiver() as hook:
            targets = [
                {"type": "tcp", "group": "plant", "host": hosts[0], "port": port, "name": "switch"},
                *(
                    {"type": "tcp", "group": "plant", "host": host, "port": port,
                     "name": f"plc-{index:02d}", "depends_on": "switch"}
                    for index, host in enumerate(hosts[1:])
                ),
            ]
            text = cluster_yaml(
                url, targets, 1,
                notifiers=[{"name": "hook", "webhook": {"url": f"{hook.url}/hook", "body": {
                    "name": "{{endpoint.name}}", "status": "{{status}}",
                    "affected_count": "{{affected_count}}",
                }}}],
                outbound={"allow_networks": ["127.0.0.0/8"], "allow_plain_http": True},
                alerting={"retry_initial": 0.2, "retry_max": 1},
            )
            with nodes(tmp_path, text, "a", "b") as running:
                wait_for(lambda: len(shares([n.text() for n in running], 2)) == 2, 40, "sharing")
                config = open_config(tmp_path / "pulse.yaml", load_plugins())
                ownership = Ownership([Member("a", "main"), Member("b", "main")], "main")
                owners = {ownership.owner(endpoint) for endpoint in config.endpoints}
                assert owners == {"a", "b"}, "the switch and its devices share two nodes"
                time.sleep(3)
                for listener in listeners:
                    listener.stop()
                await hook.wait_for_requests(1, timeout_s=20)
                time.sleep(6)  # every device has decided; nothing else comes
                for listener in listeners:
                    listener.start()
                await hook.wait_for_requests(2, timeout_s=20)
                time.sleep(4)
                messages = [request.json() for request in hook.requests]
    finally:
        for listener in listeners:
            listener.stop()
    assert [(m["name"], m["status"], m["affected_count"]) for m in messages] == [
        ("switch", "offline", str(DEVICES)), ("switch", "online", str(DEVICES)),
    ], messages
