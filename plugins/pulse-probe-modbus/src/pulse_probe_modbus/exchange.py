"""One read on a fresh connection: pymodbus builds the request and decodes the reply, the
connection is the probe's own.

pymodbus's client would reconnect, retry and log each refused connection at error level,
and it says only "not connected" where a person wants "connection refused"; a monitor needs
none of that. Its PDU classes and socket framer are what this module uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from dataclasses import dataclass

from pymodbus.framer import FramerSocket
from pymodbus.pdu import DecodePDU, ExceptionResponse, ModbusPDU
from pymodbus.pdu.bit_message import ReadCoilsRequest, ReadDiscreteInputsRequest
from pymodbus.pdu.register_message import ReadHoldingRegistersRequest, ReadInputRegistersRequest

from pulse_core.contract import describe_connect_error, describe_lookup_error
from pulse_probe_modbus.options import Read

REQUESTS: dict[str, type[ModbusPDU]] = {
    "holding": ReadHoldingRegistersRequest,
    "input": ReadInputRegistersRequest,
    "coils": ReadCoilsRequest,
    "discrete": ReadDiscreteInputsRequest,
}
#: transaction id, protocol id, length (unit id + PDU), unit id
MBAP = struct.Struct(">HHHB")
MAX_PDU_LENGTH = 253

EXCEPTION_NAMES = {
    0x01: "illegal function",
    0x02: "illegal data address",
    0x03: "illegal data value",
    0x04: "slave device failure",
    0x05: "acknowledge",
    0x06: "slave device busy",
    0x07: "negative acknowledge",
    0x08: "memory parity error",
    0x0A: "gateway path unavailable",
    0x0B: "gateway target device failed to respond",
}


class ModbusError(Exception):
    """The read failed; the text is short, and ``rtt_ms`` is set when the device answered."""

    def __init__(self, text: str, rtt_ms: float | None = None) -> None:
        super().__init__(text)
        self.rtt_ms = rtt_ms


@dataclass(frozen=True, slots=True)
class Reading:
    values: list[int]
    rtt_ms: float


def exception_name(code: int) -> str:
    return EXCEPTION_NAMES.get(code, f"exception {code:#04x}")


class Exchange:
    """Remembers how far it got, so a timeout can say what the device did not do."""

    def __init__(self, transaction_id: int, unit: int, read: Read) -> None:
        self.transaction_id = transaction_id
        self.unit = unit
        self.read = read
        self.connected = False
        self._writer: asyncio.StreamWriter | None = None

    async def run(self, host: str, port: int) -> Reading:
        try:
            reader, self._writer = await asyncio.open_connection(host, port)
        except socket.gaierror as error:
            raise ModbusError(describe_lookup_error(error, host)) from None
        except UnicodeError:  # the IDNA codec rejects the name before any lookup
            raise ModbusError(f"invalid host name: {host}") from None
        except OSError as error:
            raise ModbusError(describe_connect_error(error)) from None
        self.connected = True
        request = REQUESTS[self.read.kind](
            address=self.read.address, count=self.read.count, dev_id=self.unit,
            transaction_id=self.transaction_id,
        )
        started = time.perf_counter()
        try:
            self._writer.write(FramerSocket(DecodePDU(is_server=False)).buildFrame(request))
            await self._writer.drain()
            reply = await self._reply(reader)
        except OSError as error:
            raise ModbusError(describe_connect_error(error)) from None
        rtt_ms = round((time.perf_counter() - started) * 1000, 3)
        return Reading(self._values(reply, rtt_ms), rtt_ms)

    async def _reply(self, reader: asyncio.StreamReader) -> ModbusPDU:
        header = await _read_exactly(reader, MBAP.size)
        transaction_id, protocol_id, length, unit = MBAP.unpack(header)
        if protocol_id != 0 or not 2 <= length <= MAX_PDU_LENGTH + 1:
            raise ModbusError("not a Modbus reply")
        if transaction_id != self.transaction_id:
            raise ModbusError(f"reply to another request (transaction {transaction_id})")
        if unit != self.unit:
            raise ModbusError(f"reply from unit {unit}, asked unit {self.unit}")
        reply = DecodePDU(is_server=False).decode(await _read_exactly(reader, length - 1))
        if reply is None:
            raise ModbusError("malformed Modbus reply")
        return reply

    def _values(self, reply: ModbusPDU, rtt_ms: float) -> list[int]:
        if isinstance(reply, ExceptionResponse):
            code = reply.exception_code
            raise ModbusError(f"{exception_name(code)} (Modbus exception {code})", rtt_ms)
        if reply.function_code != REQUESTS[self.read.kind].function_code:
            raise ModbusError(f"reply to another function ({reply.function_code})", rtt_ms)
        values = [int(bit) for bit in reply.bits] if self.read.kind in ("coils", "discrete") \
            else list(reply.registers)
        if len(values) < self.read.count:
            raise ModbusError(f"{len(values)} values in the reply, asked {self.read.count}", rtt_ms)
        return values[: self.read.count]  # bits come in whole bytes: drop the padding

    def abort(self) -> None:
        """Drops the connection of a silent device at once, rather than waiting to send it a
        graceful close it may never acknowledge."""
        if self._writer is not None:
            self._writer.transport.abort()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()


async def _read_exactly(reader: asyncio.StreamReader, size: int) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as error:
        raise ModbusError(
            "connection closed in the middle of a reply" if error.partial
            else "connection closed without a reply"
        ) from None
