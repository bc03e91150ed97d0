"""A real Pulse watching a real TCP listener, a signed-in client for it, and the network in
between (a relay the tests cut, or a TLS proxy with a certificate made by ``openssl``)."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
import pytest_asyncio
from thingconnect_pulse import AsyncPulseClient, PulseClient, Transport

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse

from .relay import Relay

USERNAME, PASSWORD = "admin", "password"


def pulse_yaml(plc_port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups:
  - {{id: plant, name: Plant}}
  - {{id: office, name: Office}}
targets:
  - {{type: tcp, host: 127.0.0.1, port: {plc_port}, group: plant, name: PLC Press}}
"""


#: the route each live-push transport opens
PUSH_ROUTES = {"sse": "/api/events/status", "websocket": "/api/ws/status"}


@pytest.fixture(params=sorted(PUSH_ROUTES))
def transport(request: pytest.FixtureRequest) -> Transport:
    """A test of status changes runs over Server-Sent Events and over the WebSocket."""
    return cast(Transport, request.param)


@pytest.fixture
def plc(tcp_listener: TcpListener) -> TcpListener:
    """The plant's PLC: the shared loopback listener (``pulse_core.testing.fixtures``)."""
    return tcp_listener


@pytest_asyncio.fixture
async def server(plc: TcpListener, tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(pulse_yaml(plc.port), tmp_path) as running:
        await add_user(running, USERNAME, Role.ADMIN, PASSWORD)
        yield running


@pytest.fixture
def client(server: RunningPulse) -> Iterator[PulseClient]:
    """Signed in with HTTP Basic, as the documented example is. The client is synchronous:
    tests call it through ``asyncio.to_thread`` so the server in the test's loop can answer."""
    with PulseClient(server.base_url, username=USERNAME, password=PASSWORD) as client:
        yield client


@pytest_asyncio.fixture
async def relay() -> AsyncIterator[Relay]:
    relay = Relay()
    await relay.start()
    yield relay
    await relay.stop()


async def live_names_both_ways(url: str, ca_file: Path) -> list[list[str]]:
    """The live status's endpoint names through the synchronous client and through the async
    one, both signed in as the administrator and given ``ca_file`` to verify with (as a path,
    then as a string)."""
    with PulseClient(url, username=USERNAME, password=PASSWORD, verify=ca_file) as client:
        status = await asyncio.to_thread(client.get_live_status)
    async with AsyncPulseClient(
        url, username=USERNAME, password=PASSWORD, verify=str(ca_file)
    ) as aclient:
        again = await aclient.get_live_status()
    return [[item["endpoint"]["name"] for item in answer] for answer in (status, again)]


@dataclass(frozen=True)
class Certificate:
    #: the self-signed certificate, which is also its own CA
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, as a plant's own CA would issue."""
    folder = tmp_path_factory.mktemp("tls")
    made = Certificate(folder / "cert.pem", folder / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(made.key), "-out", str(made.cert)],
        check=True,
        capture_output=True,
    )
    return made


@pytest_asyncio.fixture
async def tls_proxy(server: RunningPulse, certificate: Certificate) -> AsyncIterator[Relay]:
    """Pulse behind a TLS-terminating proxy, at ``https://127.0.0.1:PORT``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert, certificate.key)
    proxy = Relay(upstream_port=server.pulse.config.server.port, tls=context)
    await proxy.start()
    yield proxy
    await proxy.stop()
