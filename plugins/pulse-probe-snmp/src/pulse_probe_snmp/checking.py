"""The ``snmp`` probe's checks. One GET per check carries everything: ``sysUpTime.0``, the
``oids:`` and the ``ifOperStatus`` of each interface, so the round-trip time is that of a
single request. Interface names are looked up once (a walk of ``ifName``, then ``ifDescr``)
and again after a restart, when interface numbers may change.

pysnmp is imported here, and this module when the probe starts (:mod:`pulse_probe_snmp.probe`).
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch.asyncio import SnmpEngine, Udp6TransportTarget, UdpTransportTarget

from pulse_core.contract import (
    Endpoint,
    ProbeChecks,
    ProbeResult,
    describe_lookup_error,
    literal_family,
)
from pulse_probe_snmp import session
from pulse_probe_snmp.judge import UptimeMemory, ValueMemory, iso, oper_status_word, unmet
from pulse_probe_snmp.options import DEFAULT_PORT, SnmpDefaults, SnmpTargetOptions

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
#: where interface names are looked up, in order: short names first (``Gi0/1``, ``eth0``)
IF_NAME_COLUMNS = ("1.3.6.1.2.1.31.1.1.1.1", "1.3.6.1.2.1.2.2.1.2")
IF_UP = 1

Transport = UdpTransportTarget | Udp6TransportTarget


class SnmpChecks(ProbeChecks):
    """Shares one pysnmp engine (one UDP socket) between all checks, and remembers per
    endpoint the uptime, the values that must change and the interface numbers."""

    def __init__(self, defaults: SnmpDefaults | None) -> None:
        self.defaults = defaults
        self._engine: SnmpEngine | None = None
        self._uptimes = UptimeMemory()
        self._values = ValueMemory()
        #: by endpoint id: the ``interfaces:`` looked up, and their ifIndex each
        self._interfaces: dict[str, tuple[tuple[int | str, ...], dict[int | str, int]]] = {}
        self._transports: dict[tuple[str, int, int], Transport] = {}
        #: by endpoint id: checks still to fail for a restart (``alert_on_restart``)
        self._restart_failures: dict[str, int] = {}

    async def start(self) -> None:
        self._engine = SnmpEngine()

    async def close(self) -> None:
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        options: SnmpTargetOptions = endpoint.options
        auth = session.resolve(options, self.defaults)
        try:
            async with asyncio.timeout(endpoint.timeout_ms / 1000):
                return await self._check(endpoint, options, auth)
        except TimeoutError:
            cause = "device down, or wrong community" if auth.version == "2c" else "device down"
            return ProbeResult.failure(f"timeout after {endpoint.timeout_ms} ms ({cause})")
        except session.SnmpError as error:
            return ProbeResult.failure(str(error))
        except socket.gaierror as error:
            return ProbeResult.failure(describe_lookup_error(error, endpoint.host))
        except UnicodeError:  # the IDNA codec rejects the name before any lookup
            return ProbeResult.failure(f"invalid host name: {endpoint.host}")

    async def _check(
        self, endpoint: Endpoint, options: SnmpTargetOptions, auth: session.Auth
    ) -> ProbeResult:
        if self._engine is None:
            raise RuntimeError("the snmp probe was not started")
        transport = await self._transport(endpoint)
        interfaces = await self._interface_indexes(endpoint, options, auth, transport)
        oids = [
            SYS_UPTIME,
            *(expectation.oid for expectation in options.oids),
            *(f"{IF_OPER_STATUS}.{index}" for index in interfaces.values()),
        ]
        started = time.perf_counter()
        values = await session.get(self._engine, auth, transport, oids)
        rtt_ms = round((time.perf_counter() - started) * 1000, 3)
        problems: list[str] = []
        details = self._uptime_details(endpoint.id, values[0], problems)
        if options.alert_on_restart:
            self._fail_for_restart(endpoint, details, problems)
        if options.oids:
            details["values"] = self._read_values(endpoint.id, options, values[1:], problems)
        if interfaces:
            statuses = values[1 + len(options.oids):]
            details["interfaces"] = self._read_interfaces(endpoint.id, interfaces, statuses, problems)
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            return ProbeResult.failure(problems[0] + more, rtt_ms, **details)
        return ProbeResult.success(rtt_ms, **details)

    async def _transport(self, endpoint: Endpoint) -> Transport:
        """IP literals keep their transport; names are resolved at every check, so a device
        that moves is followed (pysnmp resolves names to IPv4 addresses only)."""
        port = endpoint.port or DEFAULT_PORT
        key = (endpoint.host, port, endpoint.timeout_ms)
        found = self._transports.get(key)
        if found is not None:
            return found
        family = literal_family(endpoint.host)
        try:
            transport = await session.target(
                endpoint.host, port, family == socket.AF_INET6, endpoint.timeout_ms / 1000
            )
        except PySnmpError as error:
            if isinstance(error.__context__, socket.gaierror):
                raise error.__context__ from None
            raise session.SnmpError(f"bad address: {endpoint.host}") from None
        if family is not None:
            self._transports[key] = transport
        return transport

    async def _interface_indexes(
        self, endpoint: Endpoint, options: SnmpTargetOptions, auth: session.Auth,
        transport: Transport,
    ) -> dict[int | str, int]:
        """``interfaces:`` entries by ifIndex; names are looked up when first needed."""
        if not options.interfaces:
            return {}
        known = self._interfaces.get(endpoint.id)
        if known is not None and known[0] == options.interfaces:
            return known[1]
        indexes: dict[int | str, int] = {
            wanted: wanted for wanted in options.interfaces if isinstance(wanted, int)
        }
        for column in IF_NAME_COLUMNS:
            names = [w for w in options.interfaces if isinstance(w, str) and w not in indexes]
            if not names:
                break
            assert self._engine is not None
            rows = await session.walk(self._engine, auth, transport, column)
            by_name = {session.plain(value): index for index, value in rows.items()}
            indexes.update({name: by_name[name] for name in names if name in by_name})
        unknown = [w for w in options.interfaces if w not in indexes]
        if unknown:
            raise session.SnmpError(f"no interface named {unknown[0]} (not in ifName or ifDescr)")
        found = {wanted: indexes[wanted] for wanted in options.interfaces}
        self._interfaces[endpoint.id] = (options.interfaces, found)
        return found

    def _uptime_details(self, endpoint_id: str, value: Any, problems: list[str]) -> dict[str, Any]:
        absent = session.missing(value)
        if absent is not None:
            problems.append(f"{absent}: sysUpTime.0")
            return {}
        ticks = int(value)
        restarted, restarted_ts = self._uptimes.observe(endpoint_id, ticks, time.time())
        details: dict[str, Any] = {"uptimeS": ticks / 100}
        if restarted:
            details["restarted"] = True
            self._interfaces.pop(endpoint_id, None)  # numbers may change with a restart
        if restarted_ts is not None:
            details["restartedAt"] = iso(restarted_ts)
        return details

    def _fail_for_restart(
        self, endpoint: Endpoint, details: dict[str, Any], problems: list[str]
    ) -> None:
        """Fail the check that noticed a restart and the next ones up to the failure
        threshold: the damped state then goes down once and an outage notifies, however
        quickly the device came back (the checks themselves all answered)."""
        if details.get("restarted"):
            self._restart_failures[endpoint.id] = endpoint.failure_threshold
        left = self._restart_failures.get(endpoint.id, 0)
        if left > 0:
            problems.insert(0, f"restarted at {details['restartedAt']} (sysUpTime went back)")
            self._restart_failures[endpoint.id] = left - 1

    def _read_values(
        self, endpoint_id: str, options: SnmpTargetOptions, values: list[Any], problems: list[str]
    ) -> dict[str, int | str]:
        read: dict[str, int | str] = {}
        for expectation, value in zip(options.oids, values):
            absent = session.missing(value)
            if absent is not None:
                problems.append(f"{absent}: {expectation.label}")
                continue
            plain = session.plain(value)
            read[expectation.label] = plain
            previous = self._values.swap(endpoint_id, expectation.oid, plain)
            problem = unmet(expectation, plain, previous)
            if problem is not None:
                problems.append(problem)
        return read

    def _read_interfaces(
        self, endpoint_id: str, interfaces: dict[int | str, int], statuses: list[Any],
        problems: list[str],
    ) -> dict[str, str]:
        read: dict[str, str] = {}
        for wanted, value in zip(interfaces, statuses):
            if session.missing(value) is not None:
                problems.append(f"no interface {wanted} (ifIndex {interfaces[wanted]})")
                self._interfaces.pop(endpoint_id, None)  # look the names up again next time
                continue
            status = session.plain(value)
            word = oper_status_word(status)
            read[str(wanted)] = word
            if status != IF_UP:
                problems.append(f"interface {wanted} is {word}")
        return read
