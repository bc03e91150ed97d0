"""One check of one endpoint: the probe called up to ``1 + retries`` times.

A probe promises to answer within the endpoint's timeout; the guard here only catches a probe
that breaks that promise or raises, so one faulty plugin cannot stall a check slot forever.
"""

from __future__ import annotations

import asyncio

from pulse_core.models import Endpoint, ProbeResult
from pulse_core.probe import Probe

GUARD_SLACK_S = 1.0


async def run_probe(probe: Probe, endpoint: Endpoint) -> ProbeResult:
    """The first successful attempt, or the last failed one."""
    guard_s = endpoint.timeout_ms / 1000 + GUARD_SLACK_S
    result = ProbeResult.failure("not checked")
    for _ in range(endpoint.retries + 1):
        try:
            async with asyncio.timeout(guard_s):
                result = await probe.check(endpoint)
        except TimeoutError:
            result = ProbeResult.failure(f"timeout after {endpoint.timeout_ms} ms")
        except Exception as exc:
            result = ProbeResult.failure(f"probe error: {exc}" if str(exc) else f"probe error: {exc!r}")
        if result.ok:
            break
    return result
