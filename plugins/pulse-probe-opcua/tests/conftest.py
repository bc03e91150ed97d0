"""OPC UA servers on loopback for the opcua probe's tests (see ``opcua_servers``)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from pulse_core.testing.listeners import TcpListener

sys.path.insert(0, str(Path(__file__).parent))  # the servers module, with --import-mode=importlib

from opcua_servers import (  # noqa: E402
    CertificateFiles,
    OpcuaServer,
    ServerThread,
    make_certificate,
    trusting,
)


@pytest_asyncio.fixture
async def opcua_server() -> AsyncIterator[OpcuaServer]:
    """A server without security."""
    server = OpcuaServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
def shared_server() -> Iterator[ServerThread]:
    """A server without security that tests only read from, shared by a module's tests."""
    with ServerThread(OpcuaServer()) as thread:
        yield thread


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("certificates")


@pytest.fixture(scope="module")
def client_certificate(certificates: Path) -> CertificateFiles:
    return make_certificate(certificates, "pulse-client", "urn:pulse:test:client", server=False)


@pytest.fixture(scope="module")
def server_certificate(certificates: Path) -> CertificateFiles:
    return make_certificate(certificates, "line-1-server", "urn:pulse:test:server", server=True)


@pytest.fixture(scope="module")
def secure_server(
    server_certificate: CertificateFiles, client_certificate: CertificateFiles
) -> Iterator[ServerThread]:
    """A server that offers Basic256Sha256 only and trusts ``client_certificate`` only."""
    with ServerThread(OpcuaServer(server_certificate, trusting(client_certificate))) as thread:
        yield thread


@pytest.fixture
def silent_server(tcp_listener: TcpListener) -> TcpListener:
    """Accepts connections and never answers: an OPC UA Hello goes unacknowledged, as with a
    device that hangs, so a check must end by its own timeout."""
    tcp_listener.holding = True
    return tcp_listener
