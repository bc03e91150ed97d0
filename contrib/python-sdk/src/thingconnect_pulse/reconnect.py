"""When a status-change subscription reconnects, shared by the threaded and the asyncio one
and by both transports.

A monitoring script runs for days, across Pulse restarts and network blips, so a broken
stream is reopened about 1, 2, 4 ... up to 30 s apart, the wait starting over once a stream
was open again. Each wait is drawn between half and all of its nominal length, so the many
clients of a plant that lost Pulse together do not all come back in the same instant. A
refusal that retrying cannot fix (wrong credentials, credentials revoked while the stream
was open, a role too low, an unknown group) ends the subscription instead.
"""

from __future__ import annotations

import random

import httpx

from thingconnect_pulse.errors import CredentialsRevokedError, PulseAPIError, PulseError

FIRST_RETRY_DELAY_S = 1.0
MAX_RETRY_DELAY_S = 30.0
#: API refusals worth retrying: rate limits, and a server or proxy in trouble
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
#: what a broken or refused stream raises
STREAM_ERRORS = (PulseError, httpx.HTTPError)


def worth_retrying(error: Exception) -> bool:
    if isinstance(error, CredentialsRevokedError):
        return False
    return not isinstance(error, PulseAPIError) or error.status_code in RETRIED_STATUSES


class Backoff:
    """The waits between attempts: doubling from 1 s up to 30 s, jittered, back to 1 s
    after a stream was open."""

    def __init__(self) -> None:
        self._next_s = FIRST_RETRY_DELAY_S

    def reset(self) -> None:
        self._next_s = FIRST_RETRY_DELAY_S

    def next_delay_s(self) -> float:
        nominal_s = self._next_s
        self._next_s = min(nominal_s * 2, MAX_RETRY_DELAY_S)
        return random.uniform(nominal_s / 2, nominal_s)
