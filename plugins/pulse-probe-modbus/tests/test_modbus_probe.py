"""The modbus probe against pymodbus's server (a PLC that answers right) and a hand-written
one (a device that answers wrong), both on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pydantic
import pytest
import pytest_asyncio
from pulse_probe_modbus import ModbusProbe, ModbusTargetOptions
from pymodbus.constants import ExcCodes

from pulse_core.contract import Endpoint
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.probe_conformance import ProbeConformance

from .plc import COILS, DISCRETE, HOLDING, INPUT, Plc
from .raw_modbus_server import ModbusServer


def modbus_endpoint(
    port: int, timeout_ms: int = 1500, host: str = "127.0.0.1", **options: Any
) -> Endpoint:
    return Endpoint(
        id=f"modbus-{port}",
        name=f"PLC on {port}",
        group_id="plant",
        type="modbus",
        host=host,
        port=port,
        timeout_ms=timeout_ms,
        options=ModbusTargetOptions.model_validate(options),
    )


class TestModbusProbeConformance(ProbeConformance):
    @pytest_asyncio.fixture
    async def probe(self) -> ModbusProbe:
        probe = ModbusProbe()
        await probe.start()
        return probe

    @pytest.fixture
    def reachable_endpoint(self, plc: Plc) -> Endpoint:
        return modbus_endpoint(plc.port)

    @pytest.fixture
    def unreachable_endpoint(self, silent_modbus_server: ModbusServer) -> Endpoint:
        return modbus_endpoint(silent_modbus_server.port, timeout_ms=500)


@pytest_asyncio.fixture
async def probe() -> AsyncIterator[ModbusProbe]:
    probe = ModbusProbe()
    await probe.start()
    yield probe
    await probe.close()


async def test_default_read_is_holding_register_0(probe: ModbusProbe, plc: Plc) -> None:
    result = await probe.check(modbus_endpoint(plc.port))
    assert result.ok, result.error
    assert result.details == {"values": HOLDING[:1]}


@pytest.mark.parametrize(
    ("kind", "count", "values"),
    [
        ("holding", 3, HOLDING),
        ("input", 2, INPUT),
        ("coils", 3, [int(bit) for bit in COILS]),
        ("discrete", 2, [int(bit) for bit in DISCRETE]),
    ],
)
async def test_each_table_is_read(
    probe: ModbusProbe, plc: Plc, kind: str, count: int, values: list[int]
) -> None:
    endpoint = modbus_endpoint(plc.port, read={"kind": kind, "address": 0, "count": count})
    result = await probe.check(endpoint)
    assert result.ok, result.error
    assert result.details == {"values": values}


async def test_expectations_on_the_first_value_and_by_index(probe: ModbusProbe, plc: Plc) -> None:
    read = {"kind": "holding", "address": 0, "count": 3}
    met = modbus_endpoint(plc.port, read=read, expect=[{"min": 1000, "max": 2000},
                                                        {"index": 2, "equals": 42}])
    assert (await probe.check(met)).ok

    first_too_high = modbus_endpoint(plc.port, read=read, expect={"max": 1000})
    result = await probe.check(first_too_high)
    assert (result.ok, result.error) == (False, "holding 0 is 1234, above max 1000")
    assert result.details == {"values": HOLDING} and result.rtt_ms is not None

    two_unmet = modbus_endpoint(
        plc.port, read=read, expect=[{"index": 1, "equals": 8}, {"index": 2, "min": 50}]
    )
    result = await probe.check(two_unmet)
    assert (result.ok, result.error) == (False, "holding 1 is 7, expected 8 (+1 more)")


async def test_an_illegal_address_is_named(probe: ModbusProbe, plc: Plc) -> None:
    result = await probe.check(modbus_endpoint(plc.port, read={"address": 100}))
    assert (result.ok, result.error) == (False, "illegal data address (Modbus exception 2)")
    assert result.rtt_ms is not None  # the device did answer


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (ExcCodes.DEVICE_BUSY, "slave device busy (Modbus exception 6)"),
        (ExcCodes.DEVICE_FAILURE, "slave device failure (Modbus exception 4)"),
        (ExcCodes.GATEWAY_NO_RESPONSE,
         "gateway target device failed to respond (Modbus exception 11)"),
    ],
)
async def test_exception_replies_are_named(
    probe: ModbusProbe, plc: Plc, code: ExcCodes, error: str
) -> None:
    plc.exception = code
    result = await probe.check(modbus_endpoint(plc.port))
    assert (result.ok, result.error) == (False, error)


async def test_a_stopped_server_is_down(probe: ModbusProbe, plc: Plc) -> None:
    assert (await probe.check(modbus_endpoint(plc.port))).ok
    await plc.stop()
    result = await probe.check(modbus_endpoint(plc.port))
    assert (result.ok, result.error) == (False, "connection refused")


async def test_a_silent_device_times_out_waiting_for_the_reply(
    probe: ModbusProbe, silent_modbus_server: ModbusServer
) -> None:
    result = await probe.check(modbus_endpoint(silent_modbus_server.port, timeout_ms=300))
    assert (result.ok, result.error) == (False, "timeout after 300 ms (a Modbus reply)")


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "not a Modbus reply"),
        (bytes.fromhex("0999 0000 0005 01 03 02 04d2"),
         "reply to another request (transaction 2457)"),
        (bytes.fromhex("0001 0000 0005 02 03 02 04d2"), "reply from unit 2, asked unit 1"),
        (bytes.fromhex("0001 0000 0004 01 03 02 04"), "malformed Modbus reply"),
    ],
)
async def test_a_reply_that_does_not_answer_the_request_is_down(
    probe: ModbusProbe, raw_modbus_server: ModbusServer, reply: bytes, error: str
) -> None:
    raw_modbus_server.raw_reply = reply
    result = await probe.check(modbus_endpoint(raw_modbus_server.port, timeout_ms=500))
    assert (result.ok, result.error) == (False, error)


async def test_a_device_that_hangs_up_is_down(
    probe: ModbusProbe, raw_modbus_server: ModbusServer
) -> None:
    raw_modbus_server.hang_up = True
    result = await probe.check(modbus_endpoint(raw_modbus_server.port))
    assert (result.ok, result.error) == (False, "connection closed without a reply")


async def test_the_unit_is_addressed(probe: ModbusProbe, raw_modbus_server: ModbusServer) -> None:
    result = await probe.check(modbus_endpoint(raw_modbus_server.port, unit=17))
    assert result.ok, result.error
    # MBAP: transaction 1, protocol 0, 6 bytes follow, unit 17; PDU: 0x03, register 0, 1 register
    assert raw_modbus_server.requests == [bytes.fromhex("0001 0000 0006 11 03 0000 0001")]


async def test_a_closed_port_is_connection_refused(probe: ModbusProbe) -> None:
    result = await probe.check(modbus_endpoint(free_tcp_port()))
    assert (result.ok, result.error) == (False, "connection refused")


async def test_an_unknown_host_is_named(probe: ModbusProbe) -> None:
    """glibc refuses a name with ``!`` without asking a name server."""
    result = await probe.check(modbus_endpoint(502, host="no-such-plc!"))
    assert (result.ok, result.error) == (False, "host not found: no-such-plc!")


async def test_a_malformed_host_name_is_named(probe: ModbusProbe) -> None:
    result = await probe.check(modbus_endpoint(502, host="plc..local"))
    assert (result.ok, result.error) == (False, "invalid host name: plc..local")


def test_options_refuse_what_cannot_work() -> None:
    with pytest.raises(pydantic.ValidationError, match="at most 125 holding"):
        ModbusTargetOptions.model_validate({"read": {"count": 126}})
    with pytest.raises(pydantic.ValidationError, match="expect index 3 is not read"):
        ModbusTargetOptions.model_validate({"read": {"count": 3}, "expect": {"index": 3}})
    with pytest.raises(pydantic.ValidationError):
        ModbusTargetOptions.model_validate({"unit": 256})
    with pytest.raises(pydantic.ValidationError):
        ModbusTargetOptions.model_validate({"read": {"kind": "registers"}})
