"""Messages between this process and its probe workers: a 4-byte length, then a pickle.

Both ends are Pulse's own code in processes it started, over a socket pair no one else
holds, so pickle (fast, and it carries probe options and defaults as the plugins' own
models) is safe here; it never reads anything from outside.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from typing import Any

from pulse_core.models import Endpoint

_LENGTH = struct.Struct("!I")

#: this process -> worker: ``(START, type_name, probe_class, defaults)`` (the class by
#: reference: its module is imported there), answered by ``(STARTED, type_name, problem or None)``
START = "start"
STARTED = "started"
#: ``(CHECK, batch, type_name, definitions)``: check these endpoints once each (each
#: definition is :func:`endpoint_fields`); results name the batch and the position of the
#: definition in ``definitions``
CHECK = "check"
#: ``(CANCEL, batch)``: the batch's checks are no longer wanted
CANCEL = "cancel"
#: worker -> this process: ``(RESULTS, [(batch, position, ok, rtt_ms, error, details), ...])``,
#: ``position`` in the ``definitions`` of the batch's message to that worker
RESULTS = "results"


def frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


async def read(reader: asyncio.StreamReader) -> Any:
    """The next message; ``asyncio.IncompleteReadError`` when the other end has gone."""
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return pickle.loads(await reader.readexactly(length))


def endpoint_fields(endpoint: Endpoint) -> tuple[Any, ...]:
    """What a worker needs of ``endpoint`` to check it: not its name, group, notes or site,
    which no probe reads, and not its retries, which stay with this process."""
    return (
        endpoint.id, endpoint.type, endpoint.host, endpoint.port, endpoint.interval_s,
        endpoint.timeout_ms, endpoint.failure_threshold, endpoint.success_threshold,
        endpoint.expected_rtt_ms, endpoint.options,
    )


def endpoint_from(fields: tuple[Any, ...]) -> Endpoint:
    """The endpoint a worker checks, one attempt per request."""
    (
        endpoint_id, type_name, host, port, interval_s, timeout_ms, failure_threshold,
        success_threshold, expected_rtt_ms, options,
    ) = fields
    return Endpoint(
        endpoint_id, "", "", type_name, host, port, interval_s, timeout_ms, 0,
        failure_threshold, success_threshold, expected_rtt_ms, True, None, options,
    )
