"""Runs the Node SDK's test against Pulse serving HTTPS itself (``server.tls``), with a
certificate signed by a CA made here: the client is given only that CA file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pulse_core.testing.accounts import add_user
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import running_pulse
from pulse_core.testing.tls import TestCA
from pulse_core.web.access import Role

from .test_node_sdk import NODE, NODE_TESTS, node_tests


@pytest.mark.skipif(NODE is None, reason="Node.js (20 or newer) is not installed")
async def test_node_sdk_trusts_pulse_https_through_the_ca_file(
    tcp_listener: TcpListener, tmp_path: Path
) -> None:
    ca = TestCA(tmp_path / "pki")
    ca.issue()
    config = f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups: [{{id: plant, name: Plant}}]
targets:
  - {{type: tcp, host: 127.0.0.1, port: {tcp_listener.port}, group: plant, name: PLC Press}}
server:
  tls: {{certfile: pki/server-cert.pem, keyfile: pki/server-key.pem}}
"""
    async with running_pulse(config, tmp_path, ca.ca_file) as server:
        await add_user(server, "admin", Role.ADMIN, "password")
        environment = {
            **os.environ,
            "PULSE_URL": server.base_url,
            "PULSE_CA": str(ca.ca_file),
            "PULSE_USERNAME": "admin",
            "PULSE_PASSWORD": "password",
        }
        report = await node_tests([NODE_TESTS / "https" / "pulse-https.test.js"], environment)
    assert "# pass 1" in report and "# fail 0" in report, report
