"""Maintenance windows: no alerts for chosen endpoints while a window is open.

A window opens at each start of its cron ``schedule`` (in its ``timezone``, by default the
server's local time, as cron does) and lasts ``duration``. Changes inside are dropped, not
postponed: whoever scheduled the work expects the noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from pulse_core.alerting.config import MaintenanceWindow
from pulse_core.alerting.cron import CronSchedule
from pulse_core.alerting.routing import EndpointFilter
from pulse_core.models import Endpoint, Group


@dataclass(frozen=True)
class Window:
    selects: EndpointFilter
    schedule: CronSchedule
    duration_s: float
    zone: tzinfo | None

    def open_at(self, ts: float) -> bool:
        moment = (
            datetime.fromtimestamp(ts, self.zone)
            if self.zone
            else datetime.fromtimestamp(ts)
        )
        return self.schedule.started_within(moment, self.duration_s)


@dataclass(frozen=True)
class MaintenanceCalendar:
    windows: tuple[Window, ...] = ()

    @classmethod
    def build(
        cls, windows: Sequence[MaintenanceWindow], groups: Sequence[Group]
    ) -> MaintenanceCalendar:
        return cls(
            tuple(
                Window(
                    EndpointFilter.build(groups, window.groups, window.endpoints),
                    window.schedule,
                    window.duration,
                    ZoneInfo(window.timezone) if window.timezone else None,
                )
                for window in windows
            )
        )

    def silences(self, endpoint: Endpoint, ts: float) -> bool:
        """Whether a change of ``endpoint`` at ``ts`` falls in an open window for it."""
        return any(w.selects.matches(endpoint) and w.open_at(ts) for w in self.windows)
