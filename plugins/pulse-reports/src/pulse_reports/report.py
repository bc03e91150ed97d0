"""One report made now: the endpoints it covers, its period, its figures and its document."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pulse_core.contract import Endpoint, Group
from pulse_reports.figures import Figures, gather_figures
from pulse_reports.period import Period, period_of
from pulse_reports.pulse_access import History, PulseConfig, catalogue
from pulse_reports.pdf import render_pdf
from pulse_reports.render_text import render_csv, render_html
from pulse_reports.settings import ReportEntry

RENDERERS: dict[str, Callable[[Figures], bytes]] = {
    "pdf": render_pdf,
    "csv": render_csv,
    "html": render_html,
}
MEDIA_TYPES = {"pdf": "application/pdf", "csv": "text/csv", "html": "text/html"}


@dataclass(frozen=True)
class Document:
    body: bytes
    format: str
    period: Period

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def covered(entry: ReportEntry, groups: Sequence[Group], endpoints: Sequence[Endpoint]) -> list[Endpoint]:
    """The enabled endpoints ``entry`` covers: all, or those named, or in a group named (with
    its subgroups)."""
    wanted = entry.content.endpoints
    enabled = [endpoint for endpoint in endpoints if endpoint.enabled]
    if isinstance(wanted, str):
        return enabled
    parents = {group.id: group.parent_id for group in groups}
    chosen_groups = {group.id for group in groups if _within_any(group.id, set(wanted), parents)}
    names = set(wanted)
    return [
        endpoint for endpoint in enabled
        if endpoint.group_id in chosen_groups or endpoint.name in names
    ]


def _within_any(group_id: str, wanted: set[str], parents: dict[str, str | None]) -> bool:
    seen: set[str] = set()
    current: str | None = group_id
    while current is not None and current not in seen:
        if current in wanted:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


async def make_report(
    entry: ReportEntry,
    config: PulseConfig,
    store: History,
    due: datetime,
    *,
    format: str | None = None,
    time_range: str | None = None,
    now: datetime | None = None,
) -> Document:
    """The document of ``entry`` for the moment ``due``; ``format`` and ``time_range``
    override the configured ones. Drawing runs in a thread: a PDF of a large site takes
    seconds of CPU the event loop must not wait for."""
    zone = ZoneInfo(entry.timezone)
    local_due = due.astimezone(zone)
    period = period_of(time_range or entry.content.time_range, local_due)
    groups, endpoints = catalogue(config)
    figures = await gather_figures(
        store, groups, covered(entry, groups, endpoints),
        title=entry.name, site=entry.site or socket.gethostname(), period=period,
        generated=(now or datetime.now(zone)).astimezone(zone),
        sections=entry.content.sections,
    )
    chosen = format or entry.format
    body = await asyncio.to_thread(RENDERERS[chosen], figures)
    return Document(body, chosen, period)
