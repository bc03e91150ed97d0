"""The opcua probe against real asyncua servers on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
import pytest_asyncio
from asyncua import ua

from opcua_servers import (
    MODE,
    MODE_VALUE,
    PATH,
    RUNNING,
    SPEED,
    SPEED_VALUE,
    CertificateFiles,
    OpcuaServer,
    ServerThread,
    make_certificate,
    peers,
)
from pulse_core.contract import Endpoint
from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.probe_conformance import ProbeConformance
from pulse_core.testing.waiting import eventually
from pulse_probe_opcua import OpcuaDefaults, OpcuaProbe, OpcuaTargetOptions
from pulse_probe_opcua.errors import describe_status


def opcua_endpoint(port: int, timeout_ms: int = 1500, **options: Any) -> Endpoint:
    return Endpoint(
        id=f"opcua-127.0.0.1-{port}",
        name=f"OPC UA {port}",
        group_id="line-1",
        type="opcua",
        host="127.0.0.1",
        port=port,
        timeout_ms=timeout_ms,
        options=OpcuaTargetOptions.model_validate({"path": PATH, **options}),
    )


async def connections(server: OpcuaServer, count: int) -> bool | None:
    """For ``eventually``: a server sees a connection end a moment after the client closed."""
    return True if len(peers(server)) == count else None


def secure_endpoint(port: int, certificate: CertificateFiles, **options: Any) -> Endpoint:
    return opcua_endpoint(
        port,
        security="Basic256Sha256",
        certificate=str(certificate.certificate),
        private_key=str(certificate.private_key),
        **options,
    )


class TestOpcuaProbeConformance(ProbeConformance):
    @pytest_asyncio.fixture
    async def probe(self) -> OpcuaProbe:
        probe = OpcuaProbe()
        await probe.start()
        return probe

    @pytest.fixture
    def reachable_endpoint(self, shared_server: ServerThread) -> Endpoint:
        return opcua_endpoint(shared_server.port, nodes=[{"node": SPEED, "min": 1000}])

    @pytest.fixture
    def unreachable_endpoint(self, silent_server: TcpListener) -> Endpoint:
        return opcua_endpoint(silent_server.port, timeout_ms=500)


@pytest_asyncio.fixture
async def probe() -> AsyncIterator[OpcuaProbe]:
    probe = OpcuaProbe()
    await probe.start()
    yield probe
    await probe.close()


async def test_running_server_is_up_with_its_state_and_values(
    probe: OpcuaProbe, shared_server: ServerThread
) -> None:
    nodes = [
        {"node": SPEED, "min": 1000, "max": 1500},
        {"node": MODE, "equals": MODE_VALUE},
        {"node": RUNNING, "equals": True},
    ]
    result = await probe.check(opcua_endpoint(shared_server.port, nodes=nodes))
    assert result.ok, result.error
    assert result.rtt_ms is not None and result.rtt_ms >= 0
    assert result.details == {
        "server_state": "Running",
        "values": {SPEED: SPEED_VALUE, MODE: MODE_VALUE, RUNNING: True},
    }


@pytest.mark.parametrize(
    ("expectation", "error"),
    [
        ({"node": SPEED, "min": 1500}, f"{SPEED} is {SPEED_VALUE}, below min 1500"),
        ({"node": SPEED, "max": 100}, f"{SPEED} is {SPEED_VALUE}, above max 100"),
        ({"node": MODE, "equals": "manual"}, f"{MODE} is 'auto', expected 'manual'"),
        ({"node": MODE, "min": 1}, f"{MODE} is 'auto', not a number"),
        ({"node": RUNNING, "equals": 1}, f"{RUNNING} is True, expected 1"),
        ({"node": "ns=2;s=Line1.Nope"}, "no node ns=2;s=Line1.Nope"),
    ],
)
async def test_a_value_out_of_its_expectation_is_down(
    probe: OpcuaProbe, shared_server: ServerThread, expectation: dict[str, Any], error: str
) -> None:
    result = await probe.check(opcua_endpoint(shared_server.port, nodes=[expectation]))
    assert (result.ok, result.error) == (False, error)
    assert result.details["server_state"] == "Running"


async def test_the_first_of_several_problems_is_named_with_how_many_more(
    probe: OpcuaProbe, shared_server: ServerThread
) -> None:
    nodes = [{"node": MODE, "equals": "manual"}, "ns=2;s=Line1.Nope", {"node": SPEED, "max": 1}]
    result = await probe.check(opcua_endpoint(shared_server.port, nodes=nodes))
    assert (result.ok, result.error) == (False, f"{MODE} is 'auto', expected 'manual' (+2 more)")
    assert result.details["values"] == {MODE: MODE_VALUE, SPEED: SPEED_VALUE}


async def test_a_bare_node_id_only_has_to_be_readable(
    probe: OpcuaProbe, shared_server: ServerThread
) -> None:
    result = await probe.check(opcua_endpoint(shared_server.port, nodes=[MODE]))
    assert result.ok, result.error
    assert result.details["values"] == {MODE: MODE_VALUE}


@pytest.mark.parametrize(
    "state", [ua.ServerState.Suspended, ua.ServerState.Shutdown], ids=["suspended", "shutdown"]
)
async def test_a_server_not_running_is_down(
    probe: OpcuaProbe, opcua_server: OpcuaServer, state: ua.ServerState
) -> None:
    endpoint = opcua_endpoint(opcua_server.port)
    assert (await probe.check(endpoint)).ok
    await opcua_server.set_state(state)
    result = await probe.check(endpoint)
    assert (result.ok, result.error) == (False, f"server state is {state.name}, not Running")
    assert result.details == {"server_state": state.name}


async def test_one_session_is_kept_across_checks(
    probe: OpcuaProbe, opcua_server: OpcuaServer
) -> None:
    endpoint = opcua_endpoint(opcua_server.port)
    assert (await probe.check(endpoint)).ok
    first = peers(opcua_server)
    for _ in range(3):
        assert (await probe.check(endpoint)).ok
    assert len(first) == 1
    assert peers(opcua_server) == first


async def test_concurrent_first_checks_open_one_session(
    probe: OpcuaProbe, opcua_server: OpcuaServer
) -> None:
    endpoint = opcua_endpoint(opcua_server.port)
    results = await asyncio.gather(*(probe.check(endpoint) for _ in range(10)))
    assert all(result.ok for result in results)
    assert len(peers(opcua_server)) == 1


async def test_the_session_of_an_endpoint_no_longer_checked_is_closed(
    probe: OpcuaProbe, opcua_server: OpcuaServer
) -> None:
    """Three intervals without a check: the endpoint was removed from the configuration.
    The session goes even when no other opcua endpoint is left to be checked."""
    removed = dataclasses.replace(opcua_endpoint(opcua_server.port), id="removed", interval_s=0.1)
    assert (await probe.check(removed)).ok
    assert len(peers(opcua_server)) == 1
    await eventually(lambda: connections(opcua_server, 0))


async def test_close_ends_every_session(probe: OpcuaProbe, opcua_server: OpcuaServer) -> None:
    other = OpcuaServer()
    await other.start()
    try:
        assert (await probe.check(opcua_endpoint(opcua_server.port))).ok
        assert (await probe.check(opcua_endpoint(other.port))).ok
        await probe.close()
        await eventually(lambda: connections(opcua_server, 0))
        await eventually(lambda: connections(other, 0))
    finally:
        await other.stop()


async def test_a_stopped_server_is_down_and_up_again_after_its_restart(
    probe: OpcuaProbe, opcua_server: OpcuaServer
) -> None:
    endpoint = opcua_endpoint(opcua_server.port, timeout_ms=1000)
    assert (await probe.check(endpoint)).ok
    await opcua_server.stop()
    down = await probe.check(endpoint)
    assert not down.ok
    assert down.error in ("connection lost", "connection refused")
    assert (await probe.check(endpoint)).error == "connection refused"
    await opcua_server.start()
    up = await probe.check(endpoint)
    assert up.ok, up.error
    assert len(peers(opcua_server)) == 1


async def test_connection_refused(probe: OpcuaProbe) -> None:
    result = await probe.check(opcua_endpoint(free_tcp_port()))
    assert (result.ok, result.error) == (False, "connection refused")


async def test_a_server_that_never_answers_is_a_timeout(
    probe: OpcuaProbe, silent_server: TcpListener
) -> None:
    result = await probe.check(opcua_endpoint(silent_server.port, timeout_ms=300))
    assert (result.ok, result.error) == (False, "timeout after 300 ms")


async def test_unknown_host_name(probe: OpcuaProbe) -> None:
    endpoint = Endpoint(
        id="x", name="x", group_id="g", type="opcua", host="no-such-plc!", port=4840
    )
    result = await probe.check(endpoint)
    assert (result.ok, result.error) == (False, "host not found: no-such-plc!")


@pytest.mark.parametrize("mode", ["Sign", "SignAndEncrypt"])
async def test_basic256sha256_with_a_trusted_certificate_is_up(
    probe: OpcuaProbe,
    secure_server: ServerThread,
    client_certificate: CertificateFiles,
    mode: str,
) -> None:
    endpoint = secure_endpoint(
        secure_server.port,
        client_certificate,
        security_mode=mode,
        nodes=[{"node": SPEED, "equals": SPEED_VALUE}],
    )
    result = await probe.check(endpoint)
    assert result.ok, result.error
    assert (await probe.check(endpoint)).ok


async def test_security_from_defaults_and_a_pinned_server_certificate(
    secure_server: ServerThread,
    client_certificate: CertificateFiles,
    server_certificate: CertificateFiles,
) -> None:
    defaults = OpcuaDefaults(
        security="Basic256Sha256",
        certificate=str(client_certificate.certificate),
        private_key=str(client_certificate.private_key),
    )
    probe = OpcuaProbe(defaults)
    await probe.start()
    try:
        result = await probe.check(
            opcua_endpoint(
                secure_server.port, server_certificate=str(server_certificate.certificate)
            )
        )
    finally:
        await probe.close()
    assert result.ok, result.error


async def test_an_untrusted_certificate_is_refused_by_the_server(
    probe: OpcuaProbe, secure_server: ServerThread, tmp_path: Path
) -> None:
    stranger = make_certificate(tmp_path, "stranger", "urn:pulse:test:stranger", server=False)
    result = await probe.check(secure_endpoint(secure_server.port, stranger))
    assert (result.ok, result.error) == (False, "the server refused our certificate")


async def test_a_server_without_security_offers_no_secure_endpoint(
    probe: OpcuaProbe, shared_server: ServerThread, client_certificate: CertificateFiles
) -> None:
    result = await probe.check(secure_endpoint(shared_server.port, client_certificate))
    assert (result.ok, result.error) == (
        False,
        "the server offers no Basic256Sha256 SignAndEncrypt endpoint",
    )


async def test_a_wrong_server_certificate_goes_unanswered(
    probe: OpcuaProbe, secure_server: ServerThread, client_certificate: CertificateFiles,
    tmp_path: Path,
) -> None:
    """Encrypted for another key, the request cannot be read, and the server stays silent."""
    other = make_certificate(tmp_path, "other-server", "urn:pulse:test:other", server=True)
    endpoint = secure_endpoint(
        secure_server.port,
        client_certificate,
        server_certificate=str(other.certificate),
        timeout_ms=500,
    )
    result = await probe.check(endpoint)
    assert (result.ok, result.error) == (False, "timeout after 500 ms")


async def test_no_security_with_a_server_that_requires_it(
    probe: OpcuaProbe, secure_server: ServerThread
) -> None:
    result = await probe.check(opcua_endpoint(secure_server.port))
    assert (result.ok, result.error) == (
        False,
        "the server offers no endpoint without security: set security Basic256Sha256",
    )


async def checked_with_files(
    probe: OpcuaProbe, port: int, client: CertificateFiles, **files: str
) -> tuple[bool, str | None]:
    """A secured check with the client's certificate and key, some replaced by ``files``."""
    files = {"certificate": str(client.certificate), "private_key": str(client.private_key)} | files
    endpoint = opcua_endpoint(port, security="Basic256Sha256", **files)
    result = await probe.check(endpoint)
    return result.ok, result.error


async def test_a_missing_certificate_file_is_named(
    probe: OpcuaProbe, secure_server: ServerThread, client_certificate: CertificateFiles
) -> None:
    assert await checked_with_files(
        probe, secure_server.port, client_certificate, certificate="/nonexistent/pulse.der"
    ) == (False, "cannot read certificate /nonexistent/pulse.der: no such file or directory")


@pytest.mark.parametrize("key", ["certificate", "private_key", "server_certificate"])
async def test_a_credential_file_that_is_no_regular_file_is_refused_unread(
    probe: OpcuaProbe, secure_server: ServerThread, client_certificate: CertificateFiles,
    tmp_path: Path, key: str,
) -> None:
    """An editor may name any path: a FIFO must not hold a worker thread at every check."""
    fifo = tmp_path / "pulse.fifo"
    os.mkfifo(fifo)
    try:
        outcome = await checked_with_files(
            probe, secure_server.port, client_certificate, **{key: str(fifo)}
        )
    finally:
        _release_a_blocked_reader(fifo)
    assert outcome == (False, f"cannot read {key} {fifo}: not a regular file")


async def test_dev_zero_as_a_certificate_is_refused_unread(
    probe: OpcuaProbe, secure_server: ServerThread, client_certificate: CertificateFiles
) -> None:
    assert await checked_with_files(
        probe, secure_server.port, client_certificate, certificate="/dev/zero"
    ) == (False, "cannot read certificate /dev/zero: not a regular file")


async def test_a_credential_file_over_a_mebibyte_is_refused(
    probe: OpcuaProbe, secure_server: ServerThread, client_certificate: CertificateFiles,
    tmp_path: Path,
) -> None:
    large = tmp_path / "large.pem"
    large.write_bytes(b"-----BEGIN PRIVATE KEY-----\n" + b"A" * (1024 * 1024))
    assert await checked_with_files(
        probe, secure_server.port, client_certificate, private_key=str(large)
    ) == (
        False,
        f"cannot read private_key {large}: larger than 1024 KiB, too large for a PEM file",
    )


def _release_a_blocked_reader(fifo: Path) -> None:
    """Opens the FIFO's writing end, if a reader waits on it, so a thread blocked in ``open``
    ends instead of holding the test run at exit."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass  # no reader: nothing waits


async def test_security_without_a_certificate_anywhere_says_where_to_put_one(
    probe: OpcuaProbe, secure_server: ServerThread
) -> None:
    result = await probe.check(opcua_endpoint(secure_server.port, security="Basic256Sha256"))
    assert result.error == (
        "security Basic256Sha256 needs certificate and private_key "
        "(on the target or in defaults.opcua)"
    )


def test_a_malformed_node_id_is_a_configuration_error() -> None:
    with pytest.raises(pydantic.ValidationError, match="not an OPC UA node id: 'Line1.Speed'"):
        OpcuaTargetOptions.model_validate({"nodes": [{"node": "Line1.Speed", "min": 1}]})


def test_defaults_with_security_need_the_files() -> None:
    with pytest.raises(pydantic.ValidationError, match="needs certificate and private_key"):
        OpcuaDefaults.model_validate({"security": "Basic256Sha256"})


def test_refused_certificates_are_worded_alike() -> None:
    assert describe_status(ua.StatusCodes.BadSecurityChecksFailed) == (
        "the server refused our certificate"
    )
    assert describe_status(ua.StatusCodes.BadCertificateUntrusted) == (
        "the server refused our certificate"
    )
