"""The task that produces reports when they are due, and queues them in the durable outbox
for their email notifier (which retries, dead-letters and falls back as for every
notification).

Due times come from croniter in each report's timezone (so ``0 8 * * *`` with
``timezone: Europe/Paris`` is 08:00 there, summer and winter). A report is due again after
the due time of its last recorded run, or after it was first scheduled. When Pulse was down
over one or more due times, the report is produced once at the next start, for the latest
missed time, not once per missed time.

The clock is injectable: tests move time instead of waiting a day.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter

from pulse_core.contract import AttachmentTooLarge, ReportMessage
from pulse_reports.checks import sender_of
from pulse_reports.delivery import Letter
from pulse_reports.pulse_access import History, PulseConfig, reports_of
from pulse_reports.period import period_of
from pulse_reports.report import Document, make_report
from pulse_reports.runs import RunLog, RunRecord, Settings, iso, parse_iso
from pulse_reports.settings import ReportEntry

log = logging.getLogger("pulse.reports")

#: Longest sleep between looks at the schedule: a changed configuration is seen this soon.
LOOK_EVERY_S = 60.0

#: ``PulseView.queue_report``: queue a report for a notifier in the outbox, by cause.
Queue = Callable[[str, ReportMessage, str], Awaitable[str]]


@dataclass(frozen=True)
class Clock:
    """``now`` in seconds since the epoch, and a way to wait."""

    now: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


def next_due(entry: ReportEntry, after: float) -> float:
    zone = ZoneInfo(entry.timezone)
    return float(croniter(entry.schedule, datetime.fromtimestamp(after, zone)).get_next(float))


def latest_due(entry: ReportEntry, at_or_before: float) -> float:
    zone = ZoneInfo(entry.timezone)
    moment = datetime.fromtimestamp(at_or_before + 1e-3, zone)
    return float(croniter(entry.schedule, moment).get_prev(float))


class ReportScheduler:
    def __init__(
        self,
        config: Callable[[], PulseConfig],
        store: History,
        settings: Settings,
        queue: Queue,
        clock: Clock = Clock(),
        may_run: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        """``store`` is read for the reports, ``settings`` keeps their runs: both are the
        running Pulse's (``app.store`` and ``app``). ``may_run`` is asked at each look: in
        a cluster, the node holding the reports job alone produces them."""
        self._config = config
        self._may_run = may_run
        self.runs = RunLog(settings)
        self._store = store
        self._queue = queue
        self._clock = clock
        #: report name -> the due time after which it is next due
        self._after: dict[str, float] = {}
        self._running: set[asyncio.Task[RunRecord]] = set()
        #: report name -> when it is next due, as of the last look at the schedule
        self.upcoming: dict[str, float] = {}

    async def run(self) -> None:
        """Forever: produce every report that is due, then sleep until the next one is."""
        try:
            while True:
                try:
                    soonest = await self._look()
                except Exception:  # the store unreachable for a moment: look again later
                    log.exception("reports: could not look at the schedule; trying again")
                    soonest = self._clock.now() + LOOK_EVERY_S
                await self._clock.sleep(max(0.0, soonest - self._clock.now()))
        finally:
            for task in self._running:
                task.cancel()
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _look(self) -> float:
        """Start every report that is due; return when the next one is."""
        now = self._clock.now()
        soonest = now + LOOK_EVERY_S
        if self._may_run is not None and not await self._may_run():
            self._after.clear()  # another node runs them: read their runs when it is ours
            return soonest
        for entry in self._entries():
            due = next_due(entry, await self._due_after(entry, now))
            if due <= now:
                due = latest_due(entry, now)
                self._after[entry.name] = due
                late = now - due >= LOOK_EVERY_S  # Pulse was down when it was due
                self._start(entry, due, "catch-up" if late else "schedule")
                due = next_due(entry, due)
            self.upcoming[entry.name] = due
            soonest = min(soonest, due)
        return soonest

    async def _due_after(self, entry: ReportEntry, now: float) -> float:
        if entry.name not in self._after:
            last = await self.runs.last(entry.name, 1)
            self._after[entry.name] = (
                parse_iso(last[0].due) if last else await self.runs.since(entry.name, now)
            )
        return self._after[entry.name]

    def _entries(self) -> list[ReportEntry]:
        section = reports_of(self._config())
        return list(section.root) if section is not None else []

    def _start(self, entry: ReportEntry, due: float, trigger: str) -> None:
        task = asyncio.create_task(self.produce(entry, due, trigger), name=f"report {entry.name}")
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[RunRecord]) -> None:
        """Forget a run; one that could not even be recorded (the store gone) is logged, and
        made again at the next start, since no record says it was."""
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s was not recorded: %s", task.get_name(), task.exception())

    async def produce(self, entry: ReportEntry, due: float, trigger: str) -> RunRecord:
        """Make, queue and record one run of ``entry`` for ``due``."""
        config = self._config()
        moment = datetime.fromtimestamp(due, ZoneInfo(entry.timezone))
        period = period_of(entry.content.time_range, moment)
        try:
            document = await make_report(
                entry, config, self._store, moment,
                now=datetime.fromtimestamp(self._clock.now(), moment.tzinfo),
            )
        except Exception as error:  # a store gone or a font missing: recorded, then the next slot
            log.exception("report %s due %s could not be made", entry.name, iso(due))
            outcome, body, format = f"failed: could not be made: {error}", b"", entry.format
        else:
            body, format = document.body, document.format
            outcome = await self._send(entry, config, moment, document, due) if entry.recipients else "rendered"
        record = RunRecord(
            entry.name, iso(due), trigger, iso(period.start), iso(period.end), outcome, format,
            len(body), list(entry.recipients), iso(self._clock.now()),
        )
        await self.runs.add(record)
        log.info("report %s due %s: %s (%d bytes)", entry.name, iso(due), outcome, len(body))
        return record

    async def _send(
        self, entry: ReportEntry, config: PulseConfig, moment: datetime, document: Document,
        due: float,
    ) -> str:
        """Queue the report; what becomes of it is the outbox's (``GET /api/integrations``,
        the dead-letter list). One run of one due time is one message, however often a
        restart makes it again."""
        via = sender_of(entry, config)
        try:
            report = Letter(entry.name, moment, entry.recipients, document).message()
            await self._queue(via, report, f"report|{entry.name}|{iso(due)}")
        except (AttachmentTooLarge, LookupError) as error:
            log.error("report %s due %s was not queued: %s", entry.name, iso(due), error)
            return f"failed: {error}"
        return f"queued for {via}"
