"""Runs the Node SDK's test against Pulse serving HTTPS itself (``server.tls``), with a
certificate signed by a CA made here: the client is given only that CA file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import running_pulse
from pulse_core.testing.tls import TestCA

from .test_node_sdk import NODE, NODE_TESTS, admin_environment, node_tests, plant_config

TLS = """
server:
  tls: {certfile: pki/server-cert.pem, keyfile: pki/server-key.pem}
"""


@pytest.mark.skipif(NODE is None, reason="Node.js (20 or newer) is not installed")
async def test_node_sdk_trusts_pulse_https_through_the_ca_file(
    tcp_listener: TcpListener, tmp_path: Path
) -> None:
    ca = TestCA(tmp_path / "pki")
    ca.issue()
    config = plant_config(tcp_listener.port) + TLS
    async with running_pulse(config, tmp_path, ca.ca_file) as server:
        environment = {**await admin_environment(server), "PULSE_CA": str(ca.ca_file)}
        report = await node_tests([NODE_TESTS / "https" / "pulse-https.test.js"], environment)
    assert "# pass 1" in report and "# fail 0" in report, report
