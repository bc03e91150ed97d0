"""The ``icmp`` target type: is the host answering ping, how fast, and how reliably."""

from __future__ import annotations

import asyncio

from pulse_core.contract import Endpoint, Probe, ProbeResult
from pydantic import BaseModel

from pulse_probe_icmp.addresses import AddressResolver, HostNotFound
from pulse_probe_icmp.engine import EchoOutcome, IcmpEngine
from pulse_probe_icmp.options import IcmpOptions
from pulse_probe_icmp.sockets import SocketKind
from pulse_probe_icmp.summary import summarize

DEFAULT_OPTIONS = IcmpOptions()


class IcmpProbe(Probe):
    """Pings endpoints through one shared :class:`~pulse_probe_icmp.engine.IcmpEngine`.

    A check lasts at most the endpoint's ``timeout_ms``: its packets leave
    ``packet_interval_ms`` apart and all wait for replies until the same deadline.
    ``socket_kind`` forces a raw or an unprivileged socket (tests); by default the best
    allowed one is used.
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
        options: IcmpOptions = endpoint.options if endpoint.options is not None else DEFAULT_OPTIONS
        timeout_ms = endpoint.timeout_ms
        if (options.count - 1) * options.packet_interval_ms >= timeout_ms:
            return ProbeResult.failure(
                f"{options.count} packets {options.packet_interval_ms} ms apart "
                f"do not fit in timeout_ms {timeout_ms}"
            )
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
