"""The tcp probe against real sockets on loopback."""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from pulse_core.models import Endpoint
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.probe_conformance import ProbeConformance
from pulse_probe_tcp import TcpProbe
from pulse_core.probe_errors import describe_connect_error, describe_lookup_error


def tcp_endpoint(host: str, port: int, timeout_ms: int = 1500) -> Endpoint:
    return Endpoint(
        id=f"tcp-{host}-{port}",
        name=f"TCP {host}:{port}",
        group_id="plant",
        type="tcp",
        host=host,
        port=port,
        timeout_ms=timeout_ms,
    )


class TestTcpProbeConformance(ProbeConformance):
    @pytest_asyncio.fixture
    async def probe(self) -> TcpProbe:
        probe = TcpProbe()
        await probe.start()
        return probe

    @pytest.fixture
    def reachable_endpoint(self, tcp_listener: TcpListener) -> Endpoint:
        return tcp_endpoint("127.0.0.1", tcp_listener.port)

    @pytest.fixture
    def unreachable_endpoint(self, silent_port: int) -> Endpoint:
        return tcp_endpoint("127.0.0.1", silent_port, timeout_ms=500)


@pytest_asyncio.fixture
async def probe() -> AsyncIterator[TcpProbe]:
    probe = TcpProbe()
    await probe.start()
    yield probe
    await probe.close()


@pytest.mark.asyncio
async def test_open_port_is_up_and_reports_the_address_used(
    probe: TcpProbe, tcp_listener: TcpListener
) -> None:
    result = await probe.check(tcp_endpoint("127.0.0.1", tcp_listener.port))
    assert result.ok
    assert result.details["address"] == "127.0.0.1"


@pytest.mark.asyncio
async def test_closed_port_is_connection_refused(probe: TcpProbe, refusing_port: int) -> None:
    result = await probe.check(tcp_endpoint("127.0.0.1", refusing_port))
    assert (result.ok, result.error) == (False, "connection refused")


@pytest.mark.asyncio
async def test_unanswered_syn_is_a_timeout(probe: TcpProbe, silent_port: int) -> None:
    result = await probe.check(tcp_endpoint("127.0.0.1", silent_port, timeout_ms=300))
    assert (result.ok, result.error) == (False, "timeout after 300 ms")


@pytest.mark.asyncio
async def test_host_name_is_resolved_at_check_time(
    probe: TcpProbe, tcp_listener: TcpListener
) -> None:
    """``localhost`` comes from /etc/hosts, so no DNS query leaves the machine."""
    result = await probe.check(tcp_endpoint("localhost", tcp_listener.port))
    assert result.ok, result.error
    assert result.details["address"] == "127.0.0.1"


@pytest.mark.asyncio
async def test_ipv6_loopback(probe: TcpProbe) -> None:
    server = await asyncio.start_server(lambda _r, w: w.close(), "::1", 0)
    try:
        result = await probe.check(tcp_endpoint("::1", server.sockets[0].getsockname()[1]))
    finally:
        server.close()
        await server.wait_closed()
    assert result.ok, result.error


@pytest.mark.asyncio
async def test_unknown_host_name(probe: TcpProbe) -> None:
    """glibc refuses a name with ``!`` without asking a name server: nothing leaves loopback,
    yet the probe sees the same "unknown name" answer as for a name that does not exist."""
    result = await probe.check(tcp_endpoint("no-such-plc!", 502))
    assert (result.ok, result.error) == (False, "host not found: no-such-plc!")


@pytest.mark.asyncio
async def test_malformed_host_name(probe: TcpProbe) -> None:
    result = await probe.check(tcp_endpoint("plc..local", 502))
    assert (result.ok, result.error) == (False, "invalid host name: plc..local")


@pytest.mark.parametrize(
    ("code", "wording"),
    [
        (errno.ECONNREFUSED, "connection refused"),
        (errno.ENETUNREACH, "network unreachable"),
        (errno.EHOSTUNREACH, "no route to host"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_connect_errors_are_worded_without_the_address(code: int, wording: str) -> None:
    """Unreachable networks cannot be produced on loopback without sending traffic out, so
    the wording of those errors is checked on the errors the kernel would raise."""
    error = OSError(code, "ignored", ("10.0.0.5", 502))
    assert describe_connect_error(error) == wording


def test_lookup_error_for_a_silent_name_server_is_not_host_not_found() -> None:
    error = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    assert describe_lookup_error(error, "plc-7.local") == (
        "name lookup failed: plc-7.local (DNS did not answer)"
    )
