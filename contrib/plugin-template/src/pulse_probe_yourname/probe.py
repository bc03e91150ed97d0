"""The ``yourname`` probe.

Starts as a working probe (up when the port accepts a TCP connection) so the tests pass from
the first minute; replace the body of ``_exchange`` with your protocol's request and the
checks on its reply. Rules (docs/plugins.md): answer within ``endpoint.timeout_ms``, report
failures as ``ProbeResult.failure("a short sentence")`` instead of raising, keep shared
machinery on the instance (opened in ``start``, released in ``close``).
"""

from __future__ import annotations

import asyncio
import os
import time

from pydantic import BaseModel, ConfigDict

from pulse_core.contract import Endpoint, Probe, ProbeResult


class YournameOptions(BaseModel):
    """The target keys this probe owns, as pydantic fields (``extra="forbid"`` reports
    misspelled keys as configuration errors). ``endpoint.options`` is an instance."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class YournameProbe(Probe):
    type_name = "yourname"  # targets with `type: yourname`
    target_options = YournameOptions
    port_required = True

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        if endpoint.port is None:
            return ProbeResult.failure("no port configured")
        try:
            async with asyncio.timeout(endpoint.timeout_ms / 1000):
                return await _exchange(endpoint.host, endpoint.port)
        except TimeoutError:
            return ProbeResult.failure(f"timeout after {endpoint.timeout_ms} ms")


async def _exchange(host: str, port: int) -> ProbeResult:
    started = time.perf_counter()
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError as error:
        reason = os.strerror(error.errno).lower() if error.errno else str(error)
        return ProbeResult.failure(reason)
    rtt_ms = round((time.perf_counter() - started) * 1000, 3)
    writer.close()
    await writer.wait_closed()
    return ProbeResult.success(rtt_ms)
