"""A PLC on loopback: pymodbus's own asyncio Modbus TCP server with a datastore of known
values, for the modbus probe's tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from pulse_core.testing.listeners import free_tcp_port

#: pymodbus's "every unit": a gateway whose units all answer alike
EVERY_UNIT = 0
#: what the PLC holds, from address 0 of each table
COILS = [True, False, True]
DISCRETE = [False, True]
HOLDING = [1234, 7, 42]
INPUT = [11, 12]


@dataclass
class Plc:
    port: int = field(default_factory=free_tcp_port)
    #: set to answer every request with this exception, as a busy or failed device does
    exception: ExcCodes | None = None
    _server: ModbusTcpServer | None = None

    async def start(self) -> None:
        device = SimDevice(
            id=EVERY_UNIT,
            simdata=(
                [SimData(0, values=list(COILS), datatype=DataType.BITS)],
                [SimData(0, values=list(DISCRETE), datatype=DataType.BITS)],
                [SimData(0, values=list(HOLDING), datatype=DataType.REGISTERS)],
                [SimData(0, values=list(INPUT), datatype=DataType.REGISTERS)],
            ),
            action=self._action,
        )
        self._server = ModbusTcpServer(device, address=("127.0.0.1", self.port))
        await self._server.serve_forever(background=True)

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None

    async def _action(self, *_request: object) -> ExcCodes | None:
        return self.exception
