"""The ``modbus`` probe: an endpoint is up when its Modbus TCP server answers the configured
read, and the values read are as expected.

A TCP handshake only proves that a port is open; a gateway whose serial line is cut, or a PLC
whose Modbus task has stopped, still accepts connections. A read proves the device's Modbus
server answers. An exception reply fails the check with the exception's name: the read is
the one the target asked for, so ``illegal data address`` is a configuration to fix and
``slave device busy`` a device that cannot serve it now (``retries`` may help).
"""

from __future__ import annotations

import asyncio
import itertools

from pydantic import BaseModel

from pulse_core.contract import Endpoint, Probe, ProbeResult, bounds_problem
from pulse_probe_modbus.exchange import Exchange, ModbusError
from pulse_probe_modbus.options import Expectation, ModbusTargetOptions, Read


class ModbusProbe(Probe):
    """One connection per check, closed at once: PLCs often allow only a few Modbus clients,
    and a monitor must not hold one of those slots between checks."""

    type_name = "modbus"
    target_options = ModbusTargetOptions
    port_required = True
    identity_options = ("unit",)

    def __init__(self, defaults: BaseModel | None = None) -> None:
        super().__init__(defaults)
        self._transaction_ids = itertools.cycle(range(1, 0x10000))

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        if endpoint.port is None:
            return ProbeResult.failure("no port configured")
        options: ModbusTargetOptions = endpoint.options
        exchange = Exchange(next(self._transaction_ids), options.unit, options.read)
        try:
            async with asyncio.timeout(endpoint.timeout_ms / 1000):
                reading = await exchange.run(endpoint.host, endpoint.port)
        except TimeoutError:
            exchange.abort()
            waiting_for = "a Modbus reply" if exchange.connected else "the connection"
            return ProbeResult.failure(f"timeout after {endpoint.timeout_ms} ms ({waiting_for})")
        except ModbusError as error:
            return ProbeResult.failure(str(error), error.rtt_ms)
        finally:
            await exchange.close()
        problems = [
            problem
            for expectation in options.expect
            if (problem := unmet(expectation, options.read, reading.values)) is not None
        ]
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            return ProbeResult.failure(problems[0] + more, reading.rtt_ms, values=reading.values)
        return ProbeResult.success(reading.rtt_ms, values=reading.values)


def unmet(expectation: Expectation, read: Read, values: list[int]) -> str | None:
    """Why the value at the expectation's index does not meet it, or ``None``."""
    value = values[expectation.index]
    label = f"{read.kind} {read.address + expectation.index}"
    if expectation.equals is not None and value != expectation.equals:
        return f"{label} is {value}, expected {expectation.equals}"
    return bounds_problem(label, value, expectation.min, expectation.max)
