"""The enip probe against cpppo's EtherNet/IP simulator on loopback."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from typing import Any

import pydantic
import pytest
import pytest_asyncio

from enip_devices import (
    DEVICE_TYPE,
    PRODUCT_CODE,
    PRODUCT_NAME,
    SERIAL_NUMBER,
    VENDOR_ID,
    SimulatedDevice,
)
from pulse_core.contract import Endpoint
from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.probe_conformance import ProbeConformance
from pulse_probe_enip import EnipProbe, EnipTargetOptions
from pulse_probe_enip.identity import ReplyError, parse_reply


def enip_endpoint(port: int | None, timeout_ms: int = 1500, **options: Any) -> Endpoint:
    return Endpoint(
        id=f"enip-127.0.0.1-{port}",
        name=f"EtherNet/IP {port}",
        group_id="line-1",
        type="enip",
        host="127.0.0.1",
        port=port,
        timeout_ms=timeout_ms,
        options=EnipTargetOptions.model_validate(options),
    )


class TestEnipProbeConformance(ProbeConformance):
    @pytest_asyncio.fixture
    async def probe(self) -> EnipProbe:
        probe = EnipProbe()
        await probe.start()
        return probe

    @pytest.fixture
    def reachable_endpoint(self, shared_device: SimulatedDevice) -> Endpoint:
        return enip_endpoint(shared_device.port, product_name=PRODUCT_NAME)

    @pytest.fixture
    def unreachable_endpoint(self, silent_device: TcpListener) -> Endpoint:
        return enip_endpoint(silent_device.port, timeout_ms=500)


@pytest_asyncio.fixture
async def probe() -> AsyncIterator[EnipProbe]:
    probe = EnipProbe()
    await probe.start()
    yield probe
    await probe.close()


async def test_the_identity_is_read_into_the_details(
    probe: EnipProbe, shared_device: SimulatedDevice
) -> None:
    result = await probe.check(enip_endpoint(shared_device.port))
    assert result.ok, result.error
    assert result.rtt_ms is not None and result.rtt_ms >= 0
    assert result.details == {
        "vendor_id": VENDOR_ID,
        "device_type": DEVICE_TYPE,
        "product_code": PRODUCT_CODE,
        "revision": "20.011",
        "serial_number": "0x12345678",
        "product_name": PRODUCT_NAME,
        "state": 0xFF,
        "status": 0x3160,  # cpppo's default status word
    }


@pytest.mark.parametrize("serial", [SERIAL_NUMBER, "0x12345678", str(SERIAL_NUMBER)])
async def test_the_expected_device_is_up(
    probe: EnipProbe, shared_device: SimulatedDevice, serial: int | str
) -> None:
    endpoint = enip_endpoint(shared_device.port, product_name=PRODUCT_NAME, serial=serial)
    result = await probe.check(endpoint)
    assert result.ok, result.error


async def test_a_swapped_product_is_down(
    probe: EnipProbe, shared_device: SimulatedDevice
) -> None:
    result = await probe.check(enip_endpoint(shared_device.port, product_name="PowerFlex 525"))
    assert (result.ok, result.error) == (
        False,
        f"expected product 'PowerFlex 525', found '{PRODUCT_NAME}'",
    )
    assert result.details["product_name"] == PRODUCT_NAME


async def test_a_replaced_device_of_the_same_product_is_down(
    probe: EnipProbe, shared_device: SimulatedDevice
) -> None:
    endpoint = enip_endpoint(shared_device.port, product_name=PRODUCT_NAME, serial=0x6C061A)
    result = await probe.check(endpoint)
    assert (result.ok, result.error) == (False, "expected serial 0x006c061a, found 0x12345678")


async def test_a_stopped_device_is_down_and_up_again_after_its_restart(
    probe: EnipProbe, device: SimulatedDevice
) -> None:
    endpoint = enip_endpoint(device.port)
    assert (await probe.check(endpoint)).ok
    device.stop()
    down = await probe.check(endpoint)
    assert (down.ok, down.error) == (False, "connection refused")
    device.start()
    up = await probe.check(endpoint)
    assert up.ok, up.error


async def test_a_device_that_never_answers_is_a_timeout(
    probe: EnipProbe, silent_device: TcpListener
) -> None:
    result = await probe.check(enip_endpoint(silent_device.port, timeout_ms=300))
    assert (result.ok, result.error) == (False, "timeout after 300 ms")


async def test_a_peer_that_hangs_up_is_named(probe: EnipProbe, tcp_listener: TcpListener) -> None:
    """The listener closes at once: before our request arrived (a FIN) or after (a reset, as
    it closes with the request unread); which one is up to the scheduler."""
    result = await probe.check(enip_endpoint(tcp_listener.port))
    assert not result.ok
    assert result.error in ("the device closed the connection without a reply", "connection reset")


async def test_connection_refused(probe: EnipProbe) -> None:
    result = await probe.check(enip_endpoint(free_tcp_port()))
    assert (result.ok, result.error) == (False, "connection refused")


async def test_unknown_host_name(probe: EnipProbe) -> None:
    endpoint = Endpoint(id="x", name="x", group_id="g", type="enip", host="no-such-plc!")
    result = await probe.check(endpoint)
    assert (result.ok, result.error) == (False, "host not found: no-such-plc!")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (struct.pack("<H", 0), "the ListIdentity reply holds no identity"),
        (struct.pack("<HHH", 1, 0x0C, 40) + bytes(10), "the ListIdentity reply is cut short"),
    ],
)
def test_a_malformed_reply_is_named(body: bytes, error: str) -> None:
    """Replies no device here sends: an empty list and one cut short."""
    with pytest.raises(ReplyError, match=error):
        parse_reply(body)


def test_a_serial_number_that_is_no_number_is_a_configuration_error() -> None:
    with pytest.raises(pydantic.ValidationError, match="not a serial number: 'ABC-7'"):
        EnipTargetOptions.model_validate({"serial": "ABC-7"})
