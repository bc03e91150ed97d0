"""The ``enip`` probe: a ListIdentity request over TCP, judged by the identity it returns."""

from __future__ import annotations

import asyncio
import os
import socket
import time

from pulse_core.contract import (
    Endpoint,
    Probe,
    ProbeResult,
    describe_connect_error,
    describe_lookup_error,
)

from pulse_probe_enip.identity import (
    HEADER,
    Identity,
    ReplyError,
    parse_reply,
    reply_length,
    request,
)
from pulse_probe_enip.options import EnipTargetOptions

DEFAULT_PORT = 44818
_NO_OPTIONS = EnipTargetOptions()


class EnipProbe(Probe):
    """One connection per check: ListIdentity needs no session, and a device with a few
    encapsulation connections should not have one held by its monitor. The round-trip time
    is the request's (request sent to reply read), not the connection's set-up."""

    type_name = "enip"
    target_options = EnipTargetOptions

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        options: EnipTargetOptions = endpoint.options or _NO_OPTIONS
        port = endpoint.port or DEFAULT_PORT
        try:
            async with asyncio.timeout(endpoint.timeout_ms / 1000):
                identity, rtt_ms = await _list_identity(endpoint.host, port)
        except TimeoutError:
            return ProbeResult.failure(f"timeout after {endpoint.timeout_ms} ms")
        except ReplyError as error:
            return ProbeResult.failure(str(error))
        except asyncio.IncompleteReadError:
            return ProbeResult.failure("the device closed the connection without a reply")
        except socket.gaierror as error:
            return ProbeResult.failure(describe_lookup_error(error, endpoint.host))
        except UnicodeError:  # the IDNA codec rejects the name before any lookup
            return ProbeResult.failure(f"invalid host name: {endpoint.host}")
        except OSError as error:
            return ProbeResult.failure(describe_connect_error(error))
        mismatch = _mismatch(identity, options)
        if mismatch is not None:
            return ProbeResult.failure(mismatch, rtt_ms, **identity.details())
        return ProbeResult.success(rtt_ms, **identity.details())


async def _list_identity(host: str, port: int) -> tuple[Identity, float]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        context = os.urandom(8)
        started = time.perf_counter()
        writer.write(request(context))
        length = reply_length(await reader.readexactly(HEADER.size), context)
        body = await reader.readexactly(length)
        rtt_ms = round((time.perf_counter() - started) * 1000, 3)
    finally:
        writer.close()
    return parse_reply(body), rtt_ms


def _mismatch(identity: Identity, options: EnipTargetOptions) -> str | None:
    """Why the device is not the one the target expects: a swapped or replaced device
    answers like the right one and would otherwise stay "up"."""
    if options.product_name is not None and identity.product_name != options.product_name:
        return f"expected product {options.product_name!r}, found {identity.product_name!r}"
    if options.serial is not None and identity.serial_number != options.serial:
        return f"expected serial 0x{options.serial:08x}, found {identity.serial_text}"
    return None
