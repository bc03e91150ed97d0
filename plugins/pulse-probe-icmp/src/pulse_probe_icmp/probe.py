"""The ``icmp`` target type: is the host answering ping, how fast, and how reliably."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pulse_core.contract import Endpoint, Probe, ProbeResult, ReportResult, report_all
from pydantic import BaseModel

from pulse_probe_icmp.addresses import AddressResolver, HostNotFound, IcmpAddress
from pulse_probe_icmp.engine import EchoOutcome, IcmpEngine
from pulse_probe_icmp.options import IcmpOptions
from pulse_probe_icmp.sockets import SocketKind
from pulse_probe_icmp.summary import summarize, summarize_one

DEFAULT_OPTIONS = IcmpOptions()


class IcmpProbe(Probe):
    """Pings endpoints through one shared :class:`~pulse_probe_icmp.engine.IcmpEngine`.

    A check lasts at most the endpoint's ``timeout_ms``: its packets leave
    ``packet_interval_ms`` apart and all wait for replies until the same deadline.
    ``socket_kind`` forces a raw or an unprivileged socket (tests); by default the best
    allowed one is used.

    A batch (:meth:`check_many`) sends one packet to every endpoint of an IP literal at
    once, and the results of a burst of replies are reported together (``report.many``)
    from the engine's read of the burst (or a deadline): no task, future or wake-up per
    check, and one call into the core per burst. Endpoints of several packets or of a
    name to resolve are checked as :meth:`check` checks them.
    """

    type_name = "icmp"
    target_options = IcmpOptions
    port_required = False

    def __init__(
        self, defaults: BaseModel | None = None, *, socket_kind: SocketKind | None = None
    ) -> None:
        super().__init__(defaults)
        self._engine = IcmpEngine(socket_kind)
        self._resolver = AddressResolver(())

    @property
    def engine(self) -> IcmpEngine:
        return self._engine

    async def start(self) -> None:
        self._engine.start()
        self._resolver = AddressResolver(self._engine.families)

    async def close(self) -> None:
        self._engine.close()

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        options = _options(endpoint)
        timeout_ms = endpoint.timeout_ms
        if (unfit := _unfit(options, timeout_ms)) is not None:
            return unfit
        deadline = asyncio.get_running_loop().time() + timeout_ms / 1000
        try:
            address = self._resolver.literal(endpoint.host)
            if address is None:
                async with asyncio.timeout_at(deadline):
                    address = await self._resolver.resolve_name(endpoint.host)
        except HostNotFound as error:
            return ProbeResult.failure(str(error))
        except TimeoutError:
            return ProbeResult.failure(f"timeout after {timeout_ms} ms resolving {endpoint.host}")
        futures: list[asyncio.Future[EchoOutcome]] = []
        for index in range(options.count):
            if index:
                await asyncio.sleep(options.packet_interval_ms / 1000)
            futures.append(self._engine.ping(address, deadline, options.payload_size))
        outcomes = [await future for future in futures]
        return summarize(outcomes, timeout_ms)

    async def check_many(self, endpoints: Sequence[Endpoint], report: ReportResult) -> None:
        loop = asyncio.get_running_loop()
        batch = _Batch(endpoints, report, loop.create_future())
        others: list[int] = []
        #: the single pings, by timeout and payload size: each group is sent in one go
        groups: dict[tuple[int, int], list[tuple[IcmpAddress, int]]] = {}
        literal = self._resolver.literal
        for index, endpoint in enumerate(endpoints):
            options = _options(endpoint)
            address = literal(endpoint.host) if options.count == 1 else None
            if address is None:
                others.append(index)
                continue
            key = (endpoint.timeout_ms, options.payload_size)
            group = groups.get(key)
            if group is None:
                group = groups[key] = []
            group.append((address, index))
        batch.waiting += len(endpoints) - len(others)
        now = loop.time()
        for (timeout_ms, payload_size), targets in groups.items():
            self._engine.send(targets, now + timeout_ms / 1000, payload_size, batch.settle)
        batch.sent()
        try:
            if others:
                await asyncio.gather(*(self._check_one(batch, index) for index in others))
            await batch.done
        finally:
            batch.report = _ignore  # a cancelled batch: outcomes still to come go nowhere

    async def _check_one(self, batch: _Batch, index: int) -> None:
        result = await self.check(batch.endpoints[index])
        batch.report(index, result)


class _Batch:
    """The single-packet pings of one :meth:`IcmpProbe.check_many`, reported as they settle."""

    __slots__ = ("done", "endpoints", "report", "waiting")

    def __init__(
        self, endpoints: Sequence[Endpoint], report: ReportResult, done: asyncio.Future[None]
    ) -> None:
        self.endpoints = endpoints
        self.report = report
        self.done = done
        #: pings not settled yet, plus one until every ping is sent (a ping may settle
        #: while it is being sent, and the batch is not done before the last is)
        self.waiting = 1

    def settle(self, indexes: list[int], outcomes: list[EchoOutcome]) -> None:
        """Called from the engine's read of a burst of replies (or a deadline): a report
        that raises must still count the pings as settled, or the batch would wait for the
        watchdog."""
        try:
            endpoints = self.endpoints
            report_all(
                self.report,
                indexes,
                [
                    summarize_one(outcome, endpoints[index].timeout_ms)
                    for index, outcome in zip(indexes, outcomes)
                ],
            )
        finally:
            self._less(len(indexes))

    def sent(self) -> None:
        self._less(1)

    def _less(self, settled: int) -> None:
        self.waiting -= settled
        if not self.waiting and not self.done.done():
            self.done.set_result(None)


def _ignore(index: int, result: ProbeResult) -> None:
    """Where a cancelled batch's late outcomes go."""


def _options(endpoint: Endpoint) -> IcmpOptions:
    return endpoint.options if endpoint.options is not None else DEFAULT_OPTIONS


def _unfit(options: IcmpOptions, timeout_ms: int) -> ProbeResult | None:
    """The failure of a check whose packets do not fit in its timeout, if they do not."""
    if (options.count - 1) * options.packet_interval_ms < timeout_ms:
        return None
    return ProbeResult.failure(
        f"{options.count} packets {options.packet_interval_ms} ms apart "
        f"do not fit in timeout_ms {timeout_ms}"
    )
