"""The ``modbus`` probe's checks: the configured read on a connection of its own, and the
values read against the target's expectations. pymodbus is imported here (by
:mod:`pulse_probe_modbus.exchange`), and this module when the probe starts
(:mod:`pulse_probe_modbus.probe`)."""

from __future__ import annotations

import asyncio
import itertools

from pulse_core.contract import Endpoint, ProbeChecks, ProbeResult, bounds_problem
from pulse_probe_modbus.exchange import Exchange, ModbusError
from pulse_probe_modbus.options import Expectation, ModbusTargetOptions, Read


class ModbusChecks(ProbeChecks):
    """One connection per check, closed at once: PLCs often allow only a few Modbus clients,
    and a monitor must not hold one of those slots between checks."""

    def __init__(self) -> None:
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
