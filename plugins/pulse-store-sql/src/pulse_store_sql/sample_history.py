"""A plausible history of checks, made up but repeatable, and the size of a database: what
the size test and ``bench/storage.py`` measure bytes per check with.

The mix of a plant: 60 % ICMP (sub-millisecond to a few ms), 30 % TCP, 10 % HTTP (tens to
hundreds of ms), each endpoint with its own typical RTT and log-normal spread around it;
timestamps on a fixed interval with a millisecond or two of scheduler jitter; and a few
outages, during which checks are down with an error and no RTT.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from pulse_core.contract import CheckResult, CheckStatus, Endpoint

#: (probe type, share of endpoints, range of typical RTTs in ms, errors when down)
_KINDS = (
    ("icmp", 6, (0.1, 3.0), ("timed out",)),
    ("tcp", 3, (0.5, 20.0), ("connection refused", "connection timed out")),
    ("http", 1, (20.0, 200.0), ("HTTP 503", "timed out", "connection refused")),
)
#: Share of endpoints with one outage in the period, and its longest duration.
OUTAGE_SHARE = 0.05
LONGEST_OUTAGE_MS = 60 * 60 * 1000


def sample_endpoints(count: int, group_id: str) -> list[Endpoint]:
    """``count`` endpoints on loopback addresses, in the mix's proportions."""
    kinds = [kind for kind, share, _, _ in _KINDS for _ in range(share)]
    return [
        Endpoint(
            id=f"sample-{number}",
            name=f"Sample {number}",
            group_id=group_id,
            type=kinds[number % len(kinds)],
            host=f"127.0.{number // 250}.{number % 250 + 1}",
        )
        for number in range(count)
    ]


def sample_rounds(
    endpoints: list[Endpoint], start_ms: int, end_ms: int, interval_ms: int, seed: int = 1
) -> Iterator[list[CheckResult]]:
    """The checks of ``[start_ms, end_ms)`` round by round (a check of every endpoint per
    interval), in time order as the engine writes them."""
    rng = random.Random(seed)
    profiles = [
        _EndpointProfile(endpoint, start_ms, end_ms, interval_ms, rng) for endpoint in endpoints
    ]
    for round_start_ms in range(start_ms, end_ms, interval_ms):
        yield [profile.check(round_start_ms, rng) for profile in profiles]


class _EndpointProfile:
    """How one endpoint behaves: its typical RTT, its offset in the interval, its outage."""

    def __init__(
        self, endpoint: Endpoint, start_ms: int, end_ms: int, interval_ms: int, rng: random.Random
    ) -> None:
        _, _, (low_rtt, high_rtt), errors = next(
            kind for kind in _KINDS if kind[0] == endpoint.type
        )
        self.errors: tuple[str, ...] = errors
        self.endpoint_id = endpoint.id
        self.typical_rtt = rng.uniform(low_rtt, high_rtt)
        self.offset_ms = rng.randrange(interval_ms)
        self.outage_start = self.outage_end = end_ms
        if rng.random() < OUTAGE_SHARE:
            self.outage_start = rng.randrange(start_ms, end_ms)
            self.outage_end = self.outage_start + rng.randrange(interval_ms, LONGEST_OUTAGE_MS)

    def check(self, round_start_ms: int, rng: random.Random) -> CheckResult:
        ts_ms = round_start_ms + self.offset_ms + round(rng.gauss(0, 1.5))
        if self.outage_start <= ts_ms < self.outage_end:
            return CheckResult(
                self.endpoint_id, ts_ms / 1000, CheckStatus.DOWN, None, rng.choice(self.errors)
            )
        rtt_ms = self.typical_rtt * rng.lognormvariate(0, 0.15)
        return CheckResult(self.endpoint_id, ts_ms / 1000, CheckStatus.UP, rtt_ms)


def vacuumed_bytes(sqlite_path: Path) -> int:
    """The size of a closed SQLite database once rebuilt without free pages and with its
    write-ahead log folded in: bytes on disk that no reuse of free space will lower."""
    with closing(sqlite3.connect(sqlite_path)) as connection:
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sqlite_path.stat().st_size
