"""The client against Pulse serving HTTPS itself (``server.tls``), with a certificate signed by
a CA made in the test: the CA file given as ``verify`` is the only trust root."""

from __future__ import annotations

from pathlib import Path

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import running_pulse
from pulse_core.testing.tls import TestCA

from .conftest import PASSWORD, USERNAME, live_names_both_ways, pulse_yaml

TLS = """
server:
  tls: {certfile: pki/server-cert.pem, keyfile: pki/server-key.pem}
"""


async def test_the_client_trusts_pulse_https_through_the_ca_file(
    plc: TcpListener, tmp_path: Path
) -> None:
    ca = TestCA(tmp_path / "pki")
    ca.issue()
    async with running_pulse(pulse_yaml(plc.port) + TLS, tmp_path, ca.ca_file) as server:
        await add_user(server, USERNAME, Role.ADMIN, PASSWORD)
        names = await live_names_both_ways(server.base_url, ca.ca_file)
    assert server.base_url.startswith("https://")
    assert names == [["PLC Press"], ["PLC Press"]]
