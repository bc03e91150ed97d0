"""The snmp probe against Debian's net-snmp agent on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pydantic
import pytest
import pytest_asyncio
from pulse_probe_snmp import SnmpDefaults, SnmpProbe, SnmpTargetOptions

from pulse_core.contract import Endpoint
from pulse_core.testing.probe_conformance import ProbeConformance
from pulse_core.testing.waiting import eventually

from .snmp_agent import AUTH_KEY, COMMUNITY, PRIV_KEY, SYS_NAME, USER, SnmpAgent

SYS_NAME_OID = "1.3.6.1.2.1.1.5.0"
SYS_SERVICES_OID = "1.3.6.1.2.1.1.7.0"
V3 = {"version": "3", "user": USER, "auth_protocol": "SHA", "auth_key": AUTH_KEY,
      "priv_protocol": "AES", "priv_key": PRIV_KEY}


def snmp_endpoint(port: int, timeout_ms: int = 1500, **options: Any) -> Endpoint:
    return Endpoint(
        id=f"snmp-{port}",
        name=f"agent on {port}",
        group_id="plant",
        type="snmp",
        host="127.0.0.1",
        port=port,
        timeout_ms=timeout_ms,
        options=SnmpTargetOptions.model_validate({"community": COMMUNITY, **options}),
    )


class TestSnmpProbeConformance(ProbeConformance):
    @pytest_asyncio.fixture
    async def probe(self) -> SnmpProbe:
        probe = SnmpProbe()
        await probe.start()
        return probe

    @pytest.fixture
    def reachable_endpoint(self, agent: SnmpAgent) -> Endpoint:
        return snmp_endpoint(agent.port)

    @pytest.fixture
    def unreachable_endpoint(self, agent: SnmpAgent) -> Endpoint:
        """A wrong community: net-snmp drops the request without a word, as agents do."""
        return snmp_endpoint(agent.port, timeout_ms=500, community="not-the-community")


@pytest_asyncio.fixture
async def probe() -> AsyncIterator[SnmpProbe]:
    probe = SnmpProbe()
    await probe.start()
    yield probe
    await probe.close()


async def test_v2c_agent_is_up_with_its_uptime(probe: SnmpProbe, agent: SnmpAgent) -> None:
    result = await probe.check(snmp_endpoint(agent.port))
    assert result.ok, result.error
    assert result.rtt_ms is not None and result.rtt_ms >= 0
    assert set(result.details) == {"uptimeS"} and result.details["uptimeS"] >= 0


async def test_v3_user_with_sha_and_aes_is_up(probe: SnmpProbe, agent: SnmpAgent) -> None:
    endpoint = snmp_endpoint(agent.port, **{**V3, "community": None})
    result = await probe.check(endpoint)
    assert result.ok, result.error


async def test_v3_credentials_from_defaults(agent: SnmpAgent) -> None:
    probe = SnmpProbe(SnmpDefaults.model_validate(V3))
    await probe.start()
    try:
        result = await probe.check(snmp_endpoint(agent.port, community=None))
    finally:
        await probe.close()
    assert result.ok, result.error


async def test_v3_wrong_auth_key_is_a_short_error(probe: SnmpProbe, agent: SnmpAgent) -> None:
    endpoint = snmp_endpoint(agent.port, **{**V3, "community": None, "auth_key": "wrong-key-1"})
    result = await probe.check(endpoint)
    assert (result.ok, result.error) == (
        False, "SNMPv3 authentication failed (check auth_key and auth_protocol)"
    )


async def test_v3_unknown_user_is_named(probe: SnmpProbe, agent: SnmpAgent) -> None:
    endpoint = snmp_endpoint(agent.port, **{**V3, "community": None, "user": "nobody"})
    result = await probe.check(endpoint)
    assert (result.ok, result.error) == (False, "SNMPv3 user unknown to the device: nobody")


async def test_wrong_community_is_down(probe: SnmpProbe, agent: SnmpAgent) -> None:
    result = await probe.check(snmp_endpoint(agent.port, timeout_ms=400, community="public"))
    assert (result.ok, result.error) == (
        False, "timeout after 400 ms (device down, or wrong community)"
    )


async def test_stopped_agent_is_down_with_a_timeout(probe: SnmpProbe, agent: SnmpAgent) -> None:
    await agent.stop()
    result = await probe.check(snmp_endpoint(agent.port, timeout_ms=400))
    assert (result.ok, result.error) == (
        False, "timeout after 400 ms (device down, or wrong community)"
    )


async def test_a_restart_is_reported_in_the_details(probe: SnmpProbe, agent: SnmpAgent) -> None:
    """Stopped and started on the same port: the agent's sysUpTime starts over, which the
    probe notices even though no check fell in the outage."""
    endpoint = snmp_endpoint(agent.port)
    first = await probe.check(endpoint)
    assert first.ok and "restarted" not in first.details
    # the new agent's uptime must be below the old one's: let the old one count a little
    await _until_uptime_above(probe, endpoint, 0.5)
    await agent.stop()
    await agent.start()
    after = await probe.check(endpoint)
    assert after.ok, after.error
    assert after.details["restarted"] is True
    assert after.details["restartedAt"].endswith("Z")
    later = await probe.check(endpoint)
    assert "restarted" not in later.details
    assert later.details["restartedAt"] == after.details["restartedAt"]


async def test_a_restart_can_fail_checks_up_to_the_failure_threshold_to_alert(
    probe: SnmpProbe, agent: SnmpAgent
) -> None:
    """With ``alert_on_restart`` the restart fails as many checks as it takes the damped
    state to go down (``failure_threshold``, 2 here), then checks pass again."""
    endpoint = snmp_endpoint(agent.port, alert_on_restart=True)
    assert (await probe.check(endpoint)).ok
    await _until_uptime_above(probe, endpoint, 0.5)
    await agent.stop()
    await agent.start()
    verdicts = [await probe.check(endpoint) for _ in range(3)]
    assert [result.ok for result in verdicts] == [False, False, True]
    assert verdicts[0].error is not None and verdicts[0].error.startswith("restarted at ")
    assert "sysUpTime went back" in verdicts[0].error
    assert verdicts[0].details["restarted"] is True and "restarted" not in verdicts[1].details


async def _until_uptime_above(probe: SnmpProbe, endpoint: Endpoint, seconds: float) -> None:
    async def long_enough() -> bool | None:
        return True if (await probe.check(endpoint)).details["uptimeS"] > seconds else None

    await eventually(long_enough)


async def test_loopback_interface_by_name_and_index_is_up(
    probe: SnmpProbe, agent: SnmpAgent
) -> None:
    result = await probe.check(snmp_endpoint(agent.port, interfaces=["lo", 1]))
    assert result.ok, result.error
    assert result.details["interfaces"] == {"lo": "up", "1": "up"}


async def test_an_interface_the_device_lacks_is_named(probe: SnmpProbe, agent: SnmpAgent) -> None:
    """The endpoint was checked with another list first (a configuration changed since):
    the names of the new list are looked up, not the old list's numbers used."""
    assert (await probe.check(snmp_endpoint(agent.port, interfaces=["lo"]))).ok
    result = await probe.check(snmp_endpoint(agent.port, interfaces=["eth-nonexistent"]))
    assert (result.ok, result.error) == (
        False, "no interface named eth-nonexistent (not in ifName or ifDescr)"
    )


async def test_an_unknown_oid_is_a_human_error(probe: SnmpProbe, agent: SnmpAgent) -> None:
    oids = [{"oid": "1.3.6.1.4.1.99999.1.0", "name": "press temperature"}]
    result = await probe.check(snmp_endpoint(agent.port, oids=oids))
    assert (result.ok, result.error) == (False, "no such object: press temperature")
    assert "uptimeS" in result.details  # the agent did answer


async def test_values_are_checked_against_their_expectations(
    probe: SnmpProbe, agent: SnmpAgent
) -> None:
    met = [
        {"oid": SYS_SERVICES_OID, "name": "services", "min": 1, "max": 127, "equals": 72},
        {"oid": SYS_NAME_OID, "name": "name", "equals": SYS_NAME},
    ]
    result = await probe.check(snmp_endpoint(agent.port, oids=met))
    assert result.ok, result.error
    assert result.details["values"] == {"services": 72, "name": SYS_NAME}

    unmet = [{"oid": SYS_SERVICES_OID, "name": "services", "max": 10}]
    result = await probe.check(snmp_endpoint(agent.port, oids=unmet))
    assert (result.ok, result.error) == (False, "services is 72, above max 10")

    two_unmet = [{"oid": SYS_NAME_OID, "equals": "press-8"}, {"oid": SYS_SERVICES_OID, "min": 100}]
    result = await probe.check(snmp_endpoint(agent.port, oids=two_unmet))
    assert (result.ok, result.error) == (
        False, f"{SYS_NAME_OID} is '{SYS_NAME}', expected 'press-8' (+1 more)"
    )


async def test_a_value_that_must_change_and_does_not(probe: SnmpProbe, agent: SnmpAgent) -> None:
    """sysServices never changes: the first check has nothing to compare with, the second
    finds the value stuck. (A heartbeat counter of a PLC is the real use.)"""
    endpoint = snmp_endpoint(agent.port, oids=[{"oid": SYS_SERVICES_OID, "changed": True}])
    assert (await probe.check(endpoint)).ok
    result = await probe.check(endpoint)
    assert (result.ok, result.error) == (
        False, f"{SYS_SERVICES_OID} unchanged since the previous check (72)"
    )


async def test_an_unknown_host_is_named(probe: SnmpProbe) -> None:
    """glibc refuses a name with ``!`` without asking a name server."""
    endpoint = Endpoint(id="x", name="x", group_id="g", type="snmp", host="no-such-plc!",
                        port=161, options=SnmpTargetOptions())
    result = await probe.check(endpoint)
    assert (result.ok, result.error) == (False, "host not found: no-such-plc!")


async def test_a_malformed_host_name_is_named(probe: SnmpProbe) -> None:
    endpoint = Endpoint(id="x", name="x", group_id="g", type="snmp", host="plc..local",
                        port=161, options=SnmpTargetOptions())
    result = await probe.check(endpoint)
    assert (result.ok, result.error) == (False, "invalid host name: plc..local")


def test_options_refuse_what_cannot_work() -> None:
    with pytest.raises(pydantic.ValidationError, match="not a numeric OID"):
        SnmpTargetOptions.model_validate({"oids": [{"oid": "sysName.0"}]})
    with pytest.raises(pydantic.ValidationError, match="community is for version 2c"):
        SnmpTargetOptions.model_validate({"version": 3, "community": "x"})
    with pytest.raises(pydantic.ValidationError, match="priv_key needs an auth_key"):
        SnmpTargetOptions.model_validate({"user": "u", "priv_key": "12345678"})
    with pytest.raises(pydantic.ValidationError, match="must be 8 to 256 characters long"):
        SnmpDefaults.model_validate({"user": "u", "auth_key": "short"})
    assert SnmpTargetOptions.model_validate({"version": 3}).version == "3"


def test_keys_are_never_shown() -> None:
    options = SnmpTargetOptions.model_validate(V3)
    assert AUTH_KEY not in repr(options) and PRIV_KEY not in str(options)
