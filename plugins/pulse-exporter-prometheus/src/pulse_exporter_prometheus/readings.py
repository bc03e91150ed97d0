"""One consistent reading of every endpoint's live state, taken on the event loop.

Rendering a scrape of 10,000 endpoints takes tens of milliseconds and runs in a worker
thread; the live state keeps changing on the loop meanwhile. So the values are copied here,
in one pass that never yields, and the thread only formats the copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pulse_core.engine.state import EndpointState
from pulse_core.models import Endpoint, LiveStatus

#: live status → the status words other systems see, used as label values
STATUS_WORDS = {LiveStatus.UP: "online", LiveStatus.DOWN: "offline", LiveStatus.FLAPPING: "flapping"}


@dataclass(frozen=True, slots=True)
class EndpointReading:
    #: immutable, so read in the worker thread: an unnamed endpoint's name is built when
    #: asked (``Endpoint``), work the loop need not do
    endpoint: Endpoint
    status: LiveStatus
    #: the latest check's round trip; 0 when it failed or there is none yet
    response_time_ms: float
    checks_up: int
    checks_down: int


def read_endpoints(states: Iterable[EndpointState], now: float) -> list[EndpointReading]:
    """Readings of the enabled endpoints (a disabled one is not monitored, so it is neither
    online nor offline and has no series)."""
    readings = []
    for state in states:
        endpoint = state.endpoint
        if not endpoint.enabled:
            continue
        rtt = state.last_rtt_ms
        readings.append(
            EndpointReading(
                endpoint,
                state.live_status(now),
                0.0 if rtt is None else rtt,
                state.checks_up,
                state.checks_down,
            )
        )
    return readings
