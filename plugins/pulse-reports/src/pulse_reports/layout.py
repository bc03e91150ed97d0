"""The sections of a report as blocks (facts, tables, bars) that every format draws alike, so
a PDF, a CSV and an HTML page of one report hold the same figures in the same order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pulse_reports.figures import TOP, EndpointRow, Figures, Timeline

#: Availability from which an endpoint or group reads "good", then "degraded"; below: "poor".
GOOD_FROM = 99.9
DEGRADED_FROM = 99.0
#: The colour of each status word (``status_word``), alike in a PDF and an HTML page.
STATUS_COLOURS = {
    "good": (46, 125, 50),
    "degraded": (230, 145, 0),
    "poor": (198, 40, 40),
    "no data": (120, 120, 120),
}


@dataclass(frozen=True)
class Facts:
    title: str
    pairs: list[tuple[str, str]]


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    #: the column holding a status word (good, degraded, poor, no data), coloured when drawn
    status_column: int | None = None
    note: str = ""
    #: relative widths of the columns in a PDF
    widths: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class Bars:
    title: str
    bars: list[tuple[str, float | None]]


@dataclass(frozen=True)
class Strips:
    """Rows of cells, one per slot of the period, each cell an availability."""

    title: str
    slot_labels: list[str]
    rows: list[tuple[str, list[float | None]]]


@dataclass(frozen=True)
class Line:
    """One value per slot of the period, drawn as a line."""

    title: str
    slot_labels: list[str]
    values: list[float | None]
    unit: str


Block = Facts | Table | Bars | Strips | Line


@dataclass(frozen=True)
class Section:
    name: str
    heading: str
    blocks: list[Block]


def status_word(availability: float | None) -> str:
    if availability is None:
        return "no data"
    if availability >= GOOD_FROM:
        return "good"
    return "degraded" if availability >= DEGRADED_FROM else "poor"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} %"


def milliseconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} ms"


def duration(seconds: float) -> str:
    """``2 h 05 min``, ``4 min 10 s``: what a reader of an outage table wants to see."""
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours:02d} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def moment(value: datetime | None) -> str:
    return "ongoing" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def heading_line(figures: Figures) -> str:
    return (
        f"{figures.site} · {figures.period.label} · generated "
        f"{figures.generated:%Y-%m-%d %H:%M %Z}"
    )


def sections_of(figures: Figures) -> list[Section]:
    return [
        Section(name, name.capitalize(), _BUILDERS[name](figures)) for name in figures.sections
    ]


def _endpoint_table(title: str, rows: list[EndpointRow], note: str = "") -> Table:
    return Table(
        title,
        ["Endpoint", "Group", "Availability", "Status", "Downtime", "Unreachable", "Avg RTT"],
        [
            [
                row.name, row.group, percent(row.availability), status_word(row.availability),
                duration(row.downtime_s), duration(row.unreachable_s),
                milliseconds(row.avg_rtt_ms),
            ]
            for row in rows
        ],
        status_column=3,
        note=note,
        widths=(26, 17, 13, 11, 12, 13, 10),
    )


def _summary(figures: Figures) -> list[Block]:
    change = (
        "–"
        if figures.availability is None or figures.previous_availability is None
        else f"{figures.availability - figures.previous_availability:+.2f} points"
    )
    return [
        Facts(
            "Key figures",
            [
                ("Endpoints", str(figures.endpoint_count)),
                ("Availability", percent(figures.availability)),
                ("Status", status_word(figures.availability)),
                ("Previous period", percent(figures.previous_availability)),
                ("Change", change),
                ("Outages", str(figures.outage_count)),
                ("Total downtime", duration(figures.downtime_s)),
                ("Total unreachable", duration(figures.unreachable_s)),
            ],
        ),
        _endpoint_table(f"Worst {TOP} endpoints", figures.worst),
    ]


def _slot_labels(timeline: Timeline) -> list[str]:
    layout = "%H:%M" if timeline.slot_s < 86400 else "%m-%d"
    return [f"{start:{layout}}" for start in timeline.starts]


def _by_slot(timeline: Timeline) -> str:
    return "hour by hour" if timeline.slot_s < 86400 else "day by day"


def _availability(figures: Figures) -> list[Block]:
    timeline = figures.timeline
    return [
        Bars("Availability per group", [(row.name, row.availability) for row in figures.groups]),
        Strips(
            f"Worst {TOP} endpoints, {_by_slot(timeline)}",
            _slot_labels(timeline),
            timeline.strips,
        ),
        Table(
            "Groups",
            ["Group", "Endpoints", "Availability", "Status", "Downtime", "Unreachable"],
            [
                [
                    row.name, str(row.endpoints), percent(row.availability),
                    status_word(row.availability), duration(row.downtime_s),
                    duration(row.unreachable_s),
                ]
                for row in figures.groups
            ],
            status_column=3,
            widths=(30, 12, 15, 12, 15, 16),
        ),
        _endpoint_table(
            "Endpoints, least available first",
            figures.endpoints,
            note=_left_out(figures.endpoints_left_out, "endpoint"),
        ),
    ]


def _performance(figures: Figures) -> list[Block]:
    timeline = figures.timeline
    return [
        Line(
            f"Average round-trip time of all endpoints, {_by_slot(timeline)}",
            _slot_labels(timeline),
            timeline.avg_rtt_ms,
            "ms",
        ),
        Table(
            "Round-trip time per group (of 15-minute averages)",
            ["Group", "p50", "p95"],
            [
                [row.name, milliseconds(row.rtt_p50_ms), milliseconds(row.rtt_p95_ms)]
                for row in figures.groups
            ],
            widths=(50, 20, 20),
        ),
        Table(
            f"Slowest {TOP} endpoints",
            ["Endpoint", "Group", "Avg RTT"],
            [[row.name, row.group, milliseconds(row.avg_rtt_ms)] for row in figures.slowest],
            widths=(45, 30, 15),
        ),
    ]


def _outages(figures: Figures) -> list[Block]:
    return [
        Table(
            "Outages",
            ["Endpoint", "Start", "End", "Duration", "Error"],
            [
                [row.endpoint, moment(row.start), moment(row.end), duration(row.duration_s), row.error]
                for row in figures.outages
            ],
            note=_left_out(figures.outages_left_out, "outage") + " (the longest are listed)"
            if figures.outages_left_out else "",
            widths=(22, 20, 20, 13, 25),
        )
    ]


def _endpoints(figures: Figures) -> list[Block]:
    return [
        _endpoint_table(
            "Endpoints by group",
            sorted(figures.endpoints, key=lambda row: (row.group, row.name)),
            note=_left_out(figures.endpoints_left_out, "endpoint"),
        )
    ]


def _left_out(count: int, what: str) -> str:
    return f"and {count} more {what}{'s' if count != 1 else ''} not listed" if count else ""


_BUILDERS: dict[str, Callable[[Figures], list[Block]]] = {
    "summary": _summary,
    "availability": _availability,
    "performance": _performance,
    "outages": _outages,
    "endpoints": _endpoints,
}
