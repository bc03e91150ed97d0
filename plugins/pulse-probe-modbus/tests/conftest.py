"""The Modbus servers the modbus probe's tests talk to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .plc import Plc
from .raw_modbus_server import ModbusServer


@pytest_asyncio.fixture
async def plc() -> AsyncIterator[Plc]:
    running = Plc()
    await running.start()
    yield running
    await running.stop()


@pytest_asyncio.fixture
async def silent_modbus_server() -> AsyncIterator[ModbusServer]:
    """Accepts connections and reads requests but never answers: a hung Modbus task."""
    server = ModbusServer(silent=True)
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def raw_modbus_server() -> AsyncIterator[ModbusServer]:
    server = ModbusServer()
    await server.start()
    yield server
    await server.stop()
