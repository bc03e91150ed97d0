"""The modbus probe against a real Modbus TCP server on loopback."""

from __future__ import annotations

import asyncio
import json
import struct
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
import pytest_asyncio
from pulse_probe_modbus import ModbusOptions, ModbusProbe

from pulse_core.models import Endpoint
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.probe_conformance import ProbeConformance
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually

from .modbus_server import ModbusServer


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
        options=ModbusOptions(**options),
    )


class TestModbusProbeConformance(ProbeConformance):
    @pytest_asyncio.fixture
    async def probe(self) -> ModbusProbe:
        probe = ModbusProbe()
        await probe.start()
        return probe

    @pytest.fixture
    def reachable_endpoint(self, modbus_server: ModbusServer) -> Endpoint:
        return modbus_endpoint(modbus_server.port)

    @pytest.fixture
    def unreachable_endpoint(self, silent_modbus_server: ModbusServer) -> Endpoint:
        return modbus_endpoint(silent_modbus_server.port, timeout_ms=500)


@pytest_asyncio.fixture
async def probe() -> AsyncIterator[ModbusProbe]:
    probe = ModbusProbe()
    await probe.start()
    yield probe
    await probe.close()


async def test_reads_the_configured_register_of_the_configured_unit(
    probe: ModbusProbe, modbus_server: ModbusServer
) -> None:
    result = await probe.check(modbus_endpoint(modbus_server.port, unit_id=17, register=40))
    assert result.ok, result.error
    assert result.details == {"value": 7}
    # MBAP: transaction 1, protocol 0, 6 bytes follow, unit 17; PDU: 0x03, register 40, 1 register
    assert modbus_server.requests == [bytes.fromhex("0001 0000 0006 11 03 0028 0001")]


async def test_each_check_uses_a_new_transaction_id(
    probe: ModbusProbe, modbus_server: ModbusServer
) -> None:
    for _ in range(3):
        assert (await probe.check(modbus_endpoint(modbus_server.port))).ok
    assert [struct.unpack(">H", request[:2])[0] for request in modbus_server.requests] == [1, 2, 3]


async def test_a_register_outside_the_map_is_still_up(
    probe: ModbusProbe, modbus_server: ModbusServer
) -> None:
    """The device parsed the request and answered: its Modbus server is alive."""
    result = await probe.check(modbus_endpoint(modbus_server.port, register=9999))
    assert result.ok, result.error
    assert result.details == {"exception": "illegal data address"}


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (0x04, "Modbus exception: server device failure"),
        (0x0A, "Modbus exception: gateway path unavailable"),
        (0x0B, "Modbus exception: gateway target device failed to respond"),
    ],
)
async def test_exceptions_saying_the_device_cannot_serve_are_down(
    probe: ModbusProbe, modbus_server: ModbusServer, code: int, error: str
) -> None:
    modbus_server.unit_exceptions[5] = code
    result = await probe.check(modbus_endpoint(modbus_server.port, unit_id=5))
    assert (result.ok, result.error) == (False, error)
    assert result.rtt_ms is not None  # the gateway did answer


async def test_a_port_speaking_another_protocol_is_down(
    probe: ModbusProbe, modbus_server: ModbusServer
) -> None:
    modbus_server.raw_reply = b"HTTP/1.1 400 Bad Request\r\n\r\n"
    result = await probe.check(modbus_endpoint(modbus_server.port))
    assert (result.ok, result.error) == (False, "not a Modbus reply (protocol id 21584)")


async def test_a_reply_to_another_transaction_is_down(
    probe: ModbusProbe, modbus_server: ModbusServer
) -> None:
    modbus_server.raw_reply = bytes.fromhex("0999 0000 0005 01 03 02 04d2")
    result = await probe.check(modbus_endpoint(modbus_server.port))
    assert (result.ok, result.error) == (False, "reply to another request (transaction 2457)")


async def test_a_reply_from_another_unit_is_down(
    probe: ModbusProbe, modbus_server: ModbusServer
) -> None:
    modbus_server.raw_reply = bytes.fromhex("0001 0000 0005 02 03 02 04d2")
    result = await probe.check(modbus_endpoint(modbus_server.port, unit_id=1))
    assert (result.ok, result.error) == (False, "reply from unit 2, asked unit 1")


async def test_a_truncated_register_reply_is_down(
    probe: ModbusProbe, modbus_server: ModbusServer
) -> None:
    modbus_server.raw_reply = bytes.fromhex("0001 0000 0004 01 03 02 04")
    result = await probe.check(modbus_endpoint(modbus_server.port))
    assert (result.ok, result.error) == (False, "malformed reply (function 0x03, 3 bytes)")


async def test_a_device_that_hangs_up_is_down(
    probe: ModbusProbe, modbus_server: ModbusServer
) -> None:
    modbus_server.hang_up = True
    result = await probe.check(modbus_endpoint(modbus_server.port))
    assert (result.ok, result.error) == (False, "connection closed without a reply")


async def test_a_closed_port_is_connection_refused(probe: ModbusProbe) -> None:
    result = await probe.check(modbus_endpoint(free_tcp_port()))
    assert (result.ok, result.error) == (False, "connection refused")


async def test_a_silent_device_times_out_waiting_for_the_reply(
    probe: ModbusProbe, silent_modbus_server: ModbusServer
) -> None:
    result = await probe.check(modbus_endpoint(silent_modbus_server.port, timeout_ms=300))
    assert (result.ok, result.error) == (False, "timeout after 300 ms (a Modbus reply)")


async def test_an_unknown_host_is_named(probe: ModbusProbe) -> None:
    """glibc refuses a name with ``!`` without asking a name server."""
    result = await probe.check(modbus_endpoint(502, host="no-such-plc!"))
    assert (result.ok, result.error) == (False, "host not found: no-such-plc!")


def test_options_are_range_checked() -> None:
    with pytest.raises(pydantic.ValidationError):
        ModbusOptions(unit_id=256)
    with pytest.raises(pydantic.ValidationError):
        ModbusOptions.model_validate({"register": 65536})
    assert ModbusOptions.model_validate({"register": 40}).register_address == 40


async def test_units_behind_one_gateway_are_endpoints_of_their_own(
    modbus_server: ModbusServer, tmp_path: Path
) -> None:
    """Through the installed plugin, from YAML: two unit ids on one gateway address and port
    are two endpoints, and the one whose serial device is gone is down."""
    modbus_server.unit_exceptions[2] = 0x0B
    config = f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500}}
groups: [{{id: plant, name: Plant}}]
targets:
  - {{type: modbus, host: 127.0.0.1, port: {modbus_server.port}, unit_id: 1, name: Press PLC,
      group: plant}}
  - {{type: modbus, host: 127.0.0.1, port: {modbus_server.port}, unit_id: 2, name: Drive,
      group: plant, register: 40}}
"""
    async with running_pulse(config, tmp_path) as server, server.client() as client:

        async def settled() -> dict[str, str] | None:
            items = (await client.get("/api/status/live")).json()["items"]
            statuses = {item["endpoint"]["name"]: item["status"] for item in items}
            checked = all(item["sparkline"] for item in items)  # a check of each, at least
            return statuses if checked and len(statuses) == 2 else None

        statuses = await eventually(settled)
    assert statuses == {"Press PLC": "up", "Drive": "down"}


async def test_pulse_finds_the_plugin_through_its_entry_point() -> None:
    pulse = Path(sys.executable).with_name("pulse")
    process = await asyncio.create_subprocess_exec(
        str(pulse), "plugins", "--json", stdout=asyncio.subprocess.PIPE
    )
    output, _ = await process.communicate()
    assert process.returncode == 0
    found = {plugin["name"]: plugin for plugin in json.loads(output)}
    assert found["pulse-probe-modbus"]["hooks"] == ["pulse_register_probes"]
    assert found["pulse-probe-modbus"]["error"] is None
