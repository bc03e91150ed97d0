"""The ``modbus`` probe: an endpoint is up when its Modbus TCP server answers a register read.

A TCP handshake only proves that a port is open; a gateway whose serial line is cut, or a PLC
whose Modbus task has stopped, still accepts connections. Reading one holding register proves
the device's Modbus server is answering.

Exception replies: the device parsed the request and answered, so it is **up**, unless the
exception says it cannot serve anything. ``illegal data address`` (a register outside its
map), ``illegal function`` or ``server device busy`` leave it up; ``server device failure``
(0x04), ``gateway path unavailable`` (0x0A) and ``gateway target device failed to respond``
(0x0B) make it **down**: the device failed, or the gateway answered for a device behind it
that did not. That last case is why ``unit_id`` is part of an endpoint's identity: behind one
gateway address and port, each unit id is a device of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import time

from pydantic import BaseModel, ConfigDict, Field

from pulse_core.models import Endpoint, ProbeResult
from pulse_core.probe import Probe
from pulse_probe_modbus.protocol import (
    MalformedReply,
    Reply,
    read_register_request,
    read_reply,
)

#: exception codes that mean the device cannot serve requests at all
DOWN_EXCEPTIONS = frozenset({0x04, 0x0A, 0x0B})


class ModbusOptions(BaseModel):
    """The target keys this probe owns."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    unit_id: int = Field(1, ge=0, le=255, description="the Modbus unit (slave) id to address")
    #: written ``register`` in the YAML; the field's own name keeps clear of pydantic's
    #: ``BaseModel.register``
    register_address: int = Field(
        0, alias="register", ge=0, le=65535, description="the holding register read (0-based)"
    )


class ModbusProbe(Probe):
    """One connection per check, closed at once: PLCs often allow only a few Modbus clients,
    and a monitor must not hold one of those slots between checks."""

    type_name = "modbus"
    target_options = ModbusOptions
    port_required = True
    identity_options = ("unit_id",)

    def __init__(self, defaults: BaseModel | None = None) -> None:
        super().__init__(defaults)
        self._transaction_ids = itertools.cycle(range(1, 0x10000))

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        if endpoint.port is None:
            return ProbeResult.failure("no port configured")
        options: ModbusOptions = endpoint.options
        exchange = _Exchange(next(self._transaction_ids), options)
        try:
            async with asyncio.timeout(endpoint.timeout_ms / 1000):
                return await exchange.run(endpoint.host, endpoint.port)
        except TimeoutError:
            exchange.abort()
            waiting_for = "a Modbus reply" if exchange.connected else "the connection"
            return ProbeResult.failure(f"timeout after {endpoint.timeout_ms} ms ({waiting_for})")
        finally:
            await exchange.close()


class _Exchange:
    """One request and its reply on a fresh connection; remembers how far it got, so a
    timeout can say whether the device never connected or connected and stayed silent."""

    def __init__(self, transaction_id: int, options: ModbusOptions) -> None:
        self.transaction_id = transaction_id
        self.options = options
        self.connected = False
        self._writer: asyncio.StreamWriter | None = None

    async def run(self, host: str, port: int) -> ProbeResult:
        try:
            reader, self._writer = await asyncio.open_connection(host, port)
        except socket.gaierror:
            return ProbeResult.failure(f"host not found: {host}")
        except OSError as error:
            return ProbeResult.failure(_describe(error))
        self.connected = True
        unit_id = self.options.unit_id
        started = time.perf_counter()
        try:
            self._writer.write(
                read_register_request(self.transaction_id, unit_id, self.options.register_address)
            )
            await self._writer.drain()
            reply = await read_reply(reader, self.transaction_id, unit_id)
        except MalformedReply as error:
            return ProbeResult.failure(str(error))
        except OSError as error:
            return ProbeResult.failure(_describe(error))
        return _judge(reply, round((time.perf_counter() - started) * 1000, 3))

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


def _judge(reply: Reply, rtt_ms: float) -> ProbeResult:
    if reply.exception_code is None:
        return ProbeResult.success(rtt_ms, value=reply.value)
    if reply.exception_code in DOWN_EXCEPTIONS:
        return ProbeResult.failure(f"Modbus exception: {reply.exception_name}", rtt_ms)
    return ProbeResult.success(rtt_ms, exception=reply.exception_name)


def _describe(error: OSError) -> str:
    """``connection refused`` rather than ``[Errno 111] Connect call failed (...)``."""
    if error.errno is None:
        return str(error) or type(error).__name__
    return os.strerror(error.errno).lower()
