"""Modbus TCP framing for one request: Read Holding Registers (function 0x03) of one register.

A Modbus TCP frame is the MBAP header (transaction id, protocol id 0, length of what follows,
unit id) and a PDU (function code and data). A server answers with the same function code
and the register values, or with the function code plus 0x80 and an exception code. Only
what a monitor needs is here: build the request, read exactly one reply, and refuse anything
that is not a well-formed answer to that request.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

READ_HOLDING_REGISTERS = 0x03
EXCEPTION_FLAG = 0x80

#: transaction id, protocol id, length (unit id + PDU), unit id
MBAP = struct.Struct(">HHHB")
#: function code, first register, number of registers
READ_REQUEST = struct.Struct(">BHH")
#: the longest PDU the specification allows
MAX_PDU_LENGTH = 253

EXCEPTION_NAMES = {
    0x01: "illegal function",
    0x02: "illegal data address",
    0x03: "illegal data value",
    0x04: "server device failure",
    0x05: "acknowledge",
    0x06: "server device busy",
    0x08: "memory parity error",
    0x0A: "gateway path unavailable",
    0x0B: "gateway target device failed to respond",
}


class MalformedReply(Exception):
    """The peer answered, but not with a Modbus reply to our request (its text is short)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A well-formed answer: the register's value, or the server's exception code."""

    value: int | None = None
    exception_code: int | None = None

    @property
    def exception_name(self) -> str:
        code = self.exception_code
        return EXCEPTION_NAMES.get(code, f"exception {code:#04x}") if code is not None else ""


def read_register_request(transaction_id: int, unit_id: int, register: int) -> bytes:
    pdu = READ_REQUEST.pack(READ_HOLDING_REGISTERS, register, 1)
    return MBAP.pack(transaction_id, 0, len(pdu) + 1, unit_id) + pdu


async def read_reply(reader: asyncio.StreamReader, transaction_id: int, unit_id: int) -> Reply:
    """Reads one frame and checks it answers ``transaction_id`` for ``unit_id``."""
    header = await _read_exactly(reader, MBAP.size)
    answered_id, protocol_id, length, answered_unit = MBAP.unpack(header)
    if protocol_id != 0:
        raise MalformedReply(f"not a Modbus reply (protocol id {protocol_id})")
    if not 2 <= length <= MAX_PDU_LENGTH + 1:
        raise MalformedReply(f"not a Modbus reply (length {length})")
    if answered_id != transaction_id:
        raise MalformedReply(f"reply to another request (transaction {answered_id})")
    if answered_unit != unit_id:
        raise MalformedReply(f"reply from unit {answered_unit}, asked unit {unit_id}")
    return _parse_pdu(await _read_exactly(reader, length - 1))


def _parse_pdu(pdu: bytes) -> Reply:
    function = pdu[0]
    if function == READ_HOLDING_REGISTERS | EXCEPTION_FLAG and len(pdu) == 2:
        return Reply(exception_code=pdu[1])
    if function == READ_HOLDING_REGISTERS and len(pdu) == 4 and pdu[1] == 2:
        return Reply(value=int.from_bytes(pdu[2:4], "big"))
    raise MalformedReply(f"malformed reply (function {function:#04x}, {len(pdu)} bytes)")


async def _read_exactly(reader: asyncio.StreamReader, size: int) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as error:
        raise MalformedReply(
            "connection closed without a reply"
            if not error.partial
            else "connection closed in the middle of a reply"
        ) from None
