"""The yourname probe against real servers on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import pytest_asyncio

from pulse_core.models import Endpoint
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.probe_conformance import ProbeConformance
from pulse_probe_yourname import YournameProbe
from pulse_probe_yourname.probe import YournameOptions


def yourname_endpoint(port: int, timeout_ms: int = 1500) -> Endpoint:
    return Endpoint(
        id=f"yourname-{port}",
        name=f"device on {port}",
        group_id="plant",
        type="yourname",
        host="127.0.0.1",
        port=port,
        timeout_ms=timeout_ms,
        options=YournameOptions(),
    )


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """Bound but not listening: connections are refused. A server that accepts and never
    answers makes a better unreachable endpoint once your probe sends a request."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


class TestYournameProbeConformance(ProbeConformance):
    """Everything the core expects of a probe (pulse_core.testing.probe_conformance)."""

    @pytest_asyncio.fixture
    async def probe(self) -> YournameProbe:
        probe = YournameProbe()
        await probe.start()
        return probe

    @pytest.fixture
    def reachable_endpoint(self, tcp_listener: TcpListener) -> Endpoint:
        return yourname_endpoint(tcp_listener.port)

    @pytest.fixture
    def unreachable_endpoint(self, refusing_port: int) -> Endpoint:
        return yourname_endpoint(refusing_port, timeout_ms=500)


# Add tests of what is special about your protocol below, e.g.:
async def test_a_closed_port_is_refused(refusing_port: int) -> None:
    result = await YournameProbe().check(yourname_endpoint(refusing_port))
    assert (result.ok, result.error) == (False, "connection refused")
