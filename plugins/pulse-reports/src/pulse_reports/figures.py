"""The figures of one report, read from the store's rollups and outages.

Outages are split by what they are: an endpoint's own (offline: its downtime) and the
periods it spent unreachable behind an offline parent (``Outage.cause``), counted apart as
its unreachable time. Availability is the share of checks that succeeded, as measured: the
failed checks of an unreachable period count against it like any other, and the unreachable
time beside it says how much of that was the parent's doing (docs/reports.md).

Figures come from rollups, not raw checks: a month of a site of 10,000 endpoints is a few
hundred thousand buckets against hundreds of millions of checks. RTT percentiles are those
of the buckets' average RTTs (weighted by their checks), kept in a log-scale histogram per
group so memory stays bounded whatever the site's size. Every list the document shows is cut
to a top N; the counts say how much was left out.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pulse_core.contract import Endpoint, Group
from pulse_reports.period import Period
from pulse_reports.pulse_access import History, Outage, Resolution

TOP = 10
#: Most rows of the per-endpoint and outage tables; the rest is counted, not listed.
MAX_ROWS = 200
#: Rolling ranges longer than this are read from daily buckets.
QUARTER_HOUR_UP_TO_S = 7 * 86400
#: RTT histogram: 40 bins per decade from 0.01 ms to 100 s (a bin is 6 % wide).
_BINS_PER_DECADE = 40
_LOW_MS = 0.01
_BINS = 7 * _BINS_PER_DECADE


@dataclass
class Tally:
    """Checks and RTTs of one endpoint or group over one period."""

    total: int = 0
    up: int = 0
    rtt_sum_ms: float = 0.0
    rtt_count: int = 0

    @property
    def availability(self) -> float | None:
        """Percent of checks up; None without any check."""
        return self.up * 100.0 / self.total if self.total else None

    @property
    def avg_rtt_ms(self) -> float | None:
        return self.rtt_sum_ms / self.rtt_count if self.rtt_count else None

    def add(self, other: Tally) -> None:
        self.total += other.total
        self.up += other.up
        self.rtt_sum_ms += other.rtt_sum_ms
        self.rtt_count += other.rtt_count


@dataclass
class RttHistogram:
    """Weights per log-scale bin, with the weighted sum of the values in each, so a
    percentile is the mean of its bin's values: exact when they are alike, within the bin's
    6 % otherwise."""

    counts: list[int] = field(default_factory=lambda: [0] * _BINS)
    sums: list[float] = field(default_factory=lambda: [0.0] * _BINS)

    def add(self, rtt_ms: float, weight: int) -> None:
        position = math.log10(max(rtt_ms, _LOW_MS) / _LOW_MS) * _BINS_PER_DECADE
        index = min(int(position), _BINS - 1)
        self.counts[index] += weight
        self.sums[index] += rtt_ms * weight

    def percentile(self, fraction: float) -> float | None:
        total = sum(self.counts)
        if not total:
            return None
        wanted, seen = fraction * total, 0
        for index, count in enumerate(self.counts):
            seen += count
            if count and seen >= wanted:
                return self.sums[index] / count
        return None


@dataclass(frozen=True)
class EndpointRow:
    name: str
    group: str
    availability: float | None
    avg_rtt_ms: float | None
    downtime_s: float
    #: time unreachable behind an offline parent, apart from ``downtime_s``
    unreachable_s: float


@dataclass(frozen=True)
class GroupRow:
    name: str
    endpoints: int
    availability: float | None
    rtt_p50_ms: float | None
    rtt_p95_ms: float | None
    downtime_s: float
    unreachable_s: float


@dataclass(frozen=True)
class OutageRow:
    endpoint: str
    start: datetime
    end: datetime | None
    duration_s: float
    error: str


@dataclass(frozen=True)
class Timeline:
    """The period cut into slots (hours up to two days, else days), in the report's timezone:
    the whole site's availability and mean RTT per slot, and the availability per slot of the
    least available endpoints, so a reader sees when things went wrong, not only how much."""

    slot_s: float
    starts: list[datetime]
    availability: list[float | None]
    avg_rtt_ms: list[float | None]
    #: (endpoint name, availability per slot) of the worst endpoints, worst first
    strips: list[tuple[str, list[float | None]]]


@dataclass(frozen=True)
class Figures:
    """What every format shows, in the report's timezone."""

    title: str
    site: str
    period: Period
    generated: datetime
    sections: tuple[str, ...]
    endpoint_count: int
    availability: float | None
    previous_availability: float | None
    outage_count: int
    downtime_s: float
    #: the endpoints' time unreachable behind offline parents, added up
    unreachable_s: float
    worst: list[EndpointRow]
    groups: list[GroupRow]
    endpoints: list[EndpointRow]
    slowest: list[EndpointRow]
    outages: list[OutageRow]
    timeline: Timeline

    @property
    def endpoints_left_out(self) -> int:
        return self.endpoint_count - len(self.endpoints)

    @property
    def outages_left_out(self) -> int:
        return self.outage_count - len(self.outages)


async def gather_figures(
    store: History,
    groups: Sequence[Group],
    endpoints: Sequence[Endpoint],
    *,
    title: str,
    site: str,
    period: Period,
    generated: datetime,
    sections: Sequence[str],
) -> Figures:
    """Read the period and the one before it for ``endpoints`` and work out the figures."""
    ids = [endpoint.id for endpoint in endpoints]
    resolution = (
        Resolution.QUARTER_HOUR
        if period.end_ts - period.start_ts <= QUARTER_HOUR_UP_TO_S
        else Resolution.DAILY
    )
    current: dict[str, Tally] = {}
    histograms: dict[str, RttHistogram] = {group.id: RttHistogram() for group in groups}
    group_of = {endpoint.id: endpoint.group_id for endpoint in endpoints}
    slots = _Slots(period)
    site_slots = slots.tallies()
    async for page in store.rollups_many(ids, resolution, period.start_ts, period.end_ts):
        for rollup in page:
            tally = current.setdefault(rollup.endpoint_id, Tally())
            tally.add(Tally(rollup.total, rollup.up, rollup.rtt_sum_ms, rollup.rtt_count))
            site_slots[slots.index(rollup.bucket_ts)].add(
                Tally(rollup.total, rollup.up, rollup.rtt_sum_ms, rollup.rtt_count)
            )
            if rollup.rtt_count:
                histogram = histograms.setdefault(group_of[rollup.endpoint_id], RttHistogram())
                histogram.add(rollup.rtt_sum_ms / rollup.rtt_count, rollup.rtt_count)
    previous = Tally()
    async for page in store.rollups_many(ids, resolution, period.previous_start_ts, period.start_ts):
        for rollup in page:
            previous.add(Tally(rollup.total, rollup.up, rollup.rtt_sum_ms, rollup.rtt_count))

    wanted = set(ids)
    outages: list[Outage] = []
    downtime: dict[str, float] = {}
    unreachable: dict[str, float] = {}
    for outage in await store.outages(None, period.start_ts, period.end_ts):
        if outage.endpoint_id not in wanted:
            continue
        if outage.offline:
            outages.append(outage)
        times = downtime if outage.offline else unreachable
        times[outage.endpoint_id] = times.get(outage.endpoint_id, 0.0) + _within(outage, period)

    group_names = {group.id: group.name for group in groups}
    row_of = {
        endpoint.id: EndpointRow(
            endpoint.name,
            group_names.get(endpoint.group_id, endpoint.group_id),
            current.get(endpoint.id, Tally()).availability,
            current.get(endpoint.id, Tally()).avg_rtt_ms,
            downtime.get(endpoint.id, 0.0),
            unreachable.get(endpoint.id, 0.0),
        )
        for endpoint in endpoints
    }
    rows = list(row_of.values())
    worst_ids = [
        endpoint_id
        for endpoint_id, _ in heapq.nsmallest(
            TOP, row_of.items(), key=lambda item: _worst_first(item[1])
        )
    ]
    endpoint_slots: dict[str, list[Tally]] = {endpoint_id: slots.tallies() for endpoint_id in worst_ids}
    async for page in store.rollups_many(worst_ids, resolution, period.start_ts, period.end_ts):
        for rollup in page:
            endpoint_slots[rollup.endpoint_id][slots.index(rollup.bucket_ts)].add(
                Tally(rollup.total, rollup.up, rollup.rtt_sum_ms, rollup.rtt_count)
            )
    overall = Tally()
    for tally in current.values():
        overall.add(tally)
    names = {endpoint.id: endpoint.name for endpoint in endpoints}
    tz = period.end.tzinfo
    longest = heapq.nlargest(MAX_ROWS, outages, key=lambda outage: _within(outage, period))
    return Figures(
        title=title,
        site=site,
        period=period,
        generated=generated,
        sections=tuple(sections),
        endpoint_count=len(endpoints),
        availability=overall.availability,
        previous_availability=previous.availability,
        outage_count=len(outages),
        downtime_s=sum(downtime.values()),
        unreachable_s=sum(unreachable.values()),
        worst=[row_of[endpoint_id] for endpoint_id in worst_ids],
        groups=_group_rows(groups, row_of, endpoints, current, histograms),
        endpoints=_worst(rows, MAX_ROWS),
        slowest=heapq.nlargest(
            TOP, (row for row in rows if row.avg_rtt_ms is not None),
            key=lambda row: row.avg_rtt_ms or 0.0,
        ),
        outages=[
            OutageRow(
                names[outage.endpoint_id],
                datetime.fromtimestamp(outage.started_ts, tz),
                None if outage.ended_ts is None else datetime.fromtimestamp(outage.ended_ts, tz),
                _within(outage, period),
                outage.last_error or "",
            )
            for outage in sorted(longest, key=lambda outage: outage.started_ts)
        ],
        timeline=Timeline(
            slots.slot_s,
            slots.starts(),
            [tally.availability for tally in site_slots],
            [tally.avg_rtt_ms for tally in site_slots],
            [
                (row_of[endpoint_id].name, [tally.availability for tally in endpoint_slots[endpoint_id]])
                for endpoint_id in worst_ids
            ],
        ),
    )


class _Slots:
    """The period's slots: an hour each up to two days, a day each beyond (a 90-day report
    has 90). Buckets are UTC; a slot takes every bucket that starts inside it."""

    def __init__(self, period: Period) -> None:
        self.period = period
        span = period.end_ts - period.start_ts
        self.slot_s = 3600.0 if span <= 2 * 86400 else 86400.0
        self.count = max(1, math.ceil(span / self.slot_s))

    def tallies(self) -> list[Tally]:
        return [Tally() for _ in range(self.count)]

    def index(self, bucket_ts: float) -> int:
        return min(max(int((bucket_ts - self.period.start_ts) // self.slot_s), 0), self.count - 1)

    def starts(self) -> list[datetime]:
        tz = self.period.start.tzinfo
        return [
            datetime.fromtimestamp(self.period.start_ts + slot * self.slot_s, tz)
            for slot in range(self.count)
        ]


def _within(outage: Outage, period: Period) -> float:
    """Seconds of ``outage`` inside the period (an open one lasts to the period's end)."""
    end = period.end_ts if outage.ended_ts is None else min(outage.ended_ts, period.end_ts)
    return max(0.0, end - max(outage.started_ts, period.start_ts))


def _worst(rows: Sequence[EndpointRow], count: int) -> list[EndpointRow]:
    """The ``count`` least available endpoints, those without data last."""
    return heapq.nsmallest(count, rows, key=_worst_first)


def _worst_first(row: EndpointRow) -> tuple[bool, float, float, str]:
    return (row.availability is None, row.availability or 0.0, -row.downtime_s, row.name)


def _group_rows(
    groups: Sequence[Group],
    row_of: dict[str, EndpointRow],
    endpoints: Sequence[Endpoint],
    current: dict[str, Tally],
    histograms: dict[str, RttHistogram],
) -> list[GroupRow]:
    members: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints:
        members.setdefault(endpoint.group_id, []).append(endpoint)
    rows = []
    for group in sorted(groups, key=lambda group: (group.sort_order, group.name)):
        if group.id not in members:
            continue
        tally = Tally()
        for endpoint in members[group.id]:
            tally.add(current.get(endpoint.id, Tally()))
        histogram = histograms.get(group.id, RttHistogram())
        ids = [endpoint.id for endpoint in members[group.id]]
        rows.append(
            GroupRow(
                group.name, len(members[group.id]), tally.availability,
                histogram.percentile(0.5), histogram.percentile(0.95),
                sum(row_of[endpoint_id].downtime_s for endpoint_id in ids),
                sum(row_of[endpoint_id].unreachable_s for endpoint_id in ids),
            )
        )
    return rows
