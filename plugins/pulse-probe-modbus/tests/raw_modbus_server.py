"""A tiny hand-written Modbus TCP server on loopback, for the ways devices misbehave.

pymodbus's server (``plc.py``) answers correctly by design; this one serves Read Holding
Registers (function 0x03) from a register map and can be told to do what real devices and
gateways do wrong: stay silent, hang up, send bytes that are not Modbus, or answer another
transaction.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field

MBAP = struct.Struct(">HHHB")


@dataclass
class ModbusServer:
    registers: dict[int, int] = field(default_factory=lambda: {0: 1234, 40: 7})
    #: accept connections, read requests, never answer
    silent: bool = False
    #: sent instead of a proper reply, when set
    raw_reply: bytes | None = None
    #: read the request, then close the connection without a word
    hang_up: bool = False
    requests: list[bytes] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readexactly(MBAP.size)
                transaction_id, _, length, unit_id = MBAP.unpack(header)
                pdu = await reader.readexactly(length - 1)
                self.requests.append(header + pdu)
                if self.hang_up:
                    return
                if self.silent:
                    continue
                writer.write(self.raw_reply or self._reply(transaction_id, unit_id, pdu))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _reply(self, transaction_id: int, unit_id: int, pdu: bytes) -> bytes:
        function, first, count = struct.unpack(">BHH", pdu)
        if function != 0x03:
            answer = bytes([function | 0x80, 0x01])
        elif any(first + offset not in self.registers for offset in range(count)):
            answer = bytes([function | 0x80, 0x02])
        else:
            values = b"".join(
                self.registers[first + offset].to_bytes(2, "big") for offset in range(count)
            )
            answer = bytes([function, len(values)]) + values
        return MBAP.pack(transaction_id, 0, len(answer) + 1, unit_id) + answer
