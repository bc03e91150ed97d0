"""The schedule: a report due is emailed with its PDF through the outbox, a report missed while
Pulse was down is made once at the next start, and a mail server that is down is tried again
until it is up.

Time is moved, not waited for: the scheduler's clock runs a fixed offset from the real one,
so 08:00 of the test's day comes a second after the test starts.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from datetime import datetime, timezone
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from pulse_core.testing.waiting import eventually
from pulse_reports.runs import RunLog
from pulse_reports.schedule import Clock, ReportScheduler, latest_due, next_due
from pulse_reports.settings import ReportEntry

from .conftest import DUE, EXPECTED, MailServer, outbox

DAY = 86400.0
NAME = "Daily Network Summary"


def clock_at(moment: float) -> Clock:
    """A clock that reads ``moment`` now and runs on at the real pace."""
    offset = moment - time.time()
    return Clock(now=lambda: time.time() + offset)


@asynccontextmanager
async def scheduling(
    config: Any, store: Any, clock: Clock, note_first_scheduled: bool = True,
    may_run: Any = None,
) -> AsyncIterator[ReportScheduler]:
    """A scheduler running as Pulse runs it, with the alert engine's outbox, stopped (as at
    shutdown) on leaving. Unless it was before, the report counts as first scheduled a minute
    before the clock's time, so a slow first look cannot move its first due time past the
    test's."""
    async with outbox(config, store) as queue:
        scheduler = ReportScheduler(lambda: config, store, store, queue, clock, may_run)
        if note_first_scheduled:
            await scheduler.runs.since(NAME, clock.now() - 60)
        async with running(scheduler):
            yield scheduler


@asynccontextmanager
async def running(scheduler: ReportScheduler) -> AsyncIterator[None]:
    task = asyncio.create_task(scheduler.run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def runs_recorded(scheduler: ReportScheduler, count: int) -> list[Any] | None:
    runs = await scheduler.runs.last(NAME, 10)
    return runs if len(runs) >= count else None


async def test_a_due_report_is_emailed_with_its_pdf(
    site: tuple[Any, Any], mail_server: MailServer, tmp_path: Path
) -> None:
    config, store = site
    async with scheduling(config, store, clock_at(DUE.timestamp() - 1.0)) as scheduler:
        (run,) = await eventually(lambda: runs_recorded(scheduler, 1))
        (message,) = await eventually(lambda: received(mail_server, 1))
        health = await eventually(lambda: _delivered(store))
    assert (health.sent, health.failed, health.pending) == (1, 0, 0)
    assert mail_server.envelopes == [("pulse@company.com", ["admin@company.com"])]
    assert message["From"] == "Pulse <pulse@company.com>"
    assert message["Subject"] == f"[Pulse] {NAME}: 2026-03-09 08:00 – 2026-03-10 08:00 UTC"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "daily-network-summary-2026-03-10.pdf"
    pdf = tmp_path / "attached.pdf"
    pdf.write_bytes(attachment.get_content())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert EXPECTED["overall"] in text and EXPECTED["Router 2"] in text
    assert run.to_json() == {
        "name": NAME, "due": "2026-03-10T08:00:00Z", "trigger": "schedule",
        "periodStart": "2026-03-09T08:00:00Z", "periodEnd": "2026-03-10T08:00:00Z",
        "outcome": "queued for mail", "format": "pdf", "size": pdf.stat().st_size,
        "recipients": ["admin@company.com"], "finished": run.finished,
    }


async def test_a_node_without_the_reports_job_makes_none_until_it_holds_it(
    site: tuple[Any, Any], mail_server: MailServer
) -> None:
    """In a cluster, the node holding the reports job alone makes them: another node's
    scheduler, asked whether it may, makes nothing; given the job, it makes the due one once."""
    config, store = site
    holds = False

    async def may_run() -> bool:
        return holds

    async with scheduling(config, store, clock_at(DUE.timestamp() - 1.0), may_run=may_run) as scheduler:
        await asyncio.sleep(2.5)  # the report fell due a second and a half ago
        assert await scheduler.runs.last(NAME, 10) == []
        holds = True
        await scheduler._look()  # its own next look is up to a minute away
        (run,) = await eventually(lambda: runs_recorded(scheduler, 1))
        await eventually(lambda: received(mail_server, 1))
    assert run.due == "2026-03-10T08:00:00Z"


async def test_slots_missed_while_down_are_made_once_at_the_next_start(
    site: tuple[Any, Any], mail_server: MailServer
) -> None:
    config, store = site
    three_days_before = DUE.timestamp() - 3 * DAY
    async with scheduling(config, store, clock_at(three_days_before - 1.0)) as scheduler:
        await eventually(lambda: runs_recorded(scheduler, 1))
        await eventually(lambda: received(mail_server, 1))
    # Pulse was down over the next three 08:00s and starts again at 09:00 on the last day.
    async with scheduling(config, store, clock_at(DUE.timestamp() + 3600)) as scheduler:
        latest, first = await eventually(lambda: runs_recorded(scheduler, 2))
        await eventually(lambda: received(mail_server, 2))
    assert (first.due, first.trigger) == ("2026-03-07T08:00:00Z", "schedule")
    assert (latest.due, latest.trigger, latest.outcome) == (
        "2026-03-10T08:00:00Z", "catch-up", "queued for mail"
    )
    assert len(mail_server.messages) == 2
    assert mail_server.messages[1]["Subject"].endswith("2026-03-09 08:00 – 2026-03-10 08:00 UTC")
    # and a third start the same morning has nothing to catch up
    async with scheduling(config, store, clock_at(DUE.timestamp() + 3700)) as scheduler:
        upcoming = await eventually(lambda: _upcoming(scheduler))
        assert upcoming == DUE.timestamp() + DAY
        assert len(await scheduler.runs.last(NAME, 10)) == 2
    assert len(mail_server.messages) == 2


async def _upcoming(scheduler: ReportScheduler) -> float | None:
    return scheduler.upcoming.get(NAME)


async def received(server: MailServer, count: int) -> list[Any] | None:
    return server.messages if len(server.messages) >= count else None


async def _delivered(store: Any) -> Any:
    health = (await store.outbox_health()).get("mail")
    return health if health is not None and health.sent else None


async def test_a_mail_server_down_then_up_gets_the_report_once(
    site: tuple[Any, Any], smtp_port: int
) -> None:
    config, store = site
    server = MailServer(smtp_port)
    async with scheduling(config, store, clock_at(DUE.timestamp() - 0.5)) as scheduler:
        (run,) = await eventually(lambda: runs_recorded(scheduler, 1))
        await eventually(lambda: _failed_attempts(store, 2))  # retried by the outbox
        # made again for the same due time (as after a crash before the run was recorded)
        await scheduler.produce(config.sections["reports"].root[0], DUE.timestamp(), "catch-up")
        assert len(await store.pending_messages()) == 1
        server.start()
        try:
            await eventually(lambda: received(server, 1))
            health = await eventually(lambda: _delivered(store))
        finally:
            server.stop()
    assert run.outcome == "queued for mail"
    assert health.pending == 0 and health.sent == 1
    assert len(server.messages) == 1
    assert server.messages[0].get_content_type() == "multipart/mixed"


async def _failed_attempts(store: Any, count: int) -> bool | None:
    pending = await store.pending_messages()
    return True if pending and pending[0].attempts >= count else None


def test_due_times_follow_the_report_timezone_across_a_clock_change() -> None:
    """Paris moves to summer time on 29 March 2026: 08:00 there is 07:00 UTC, then 06:00."""
    entry = ReportEntry.model_validate({"name": "r", "schedule": "0 8 * * *", "timezone": "Europe/Paris"})
    saturday = datetime(2026, 3, 28, 7, 0, tzinfo=timezone.utc).timestamp()
    sunday = next_due(entry, saturday)
    assert datetime.fromtimestamp(sunday, timezone.utc) == datetime(2026, 3, 29, 6, 0, tzinfo=timezone.utc)
    assert latest_due(entry, sunday) == sunday
    assert latest_due(entry, sunday - 1) == saturday


async def test_the_schedule_outlives_a_store_that_is_away_for_a_while(
    site: tuple[Any, Any], mail_server: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    config, store = site
    # the report was scheduled before, so it is due at DUE however long the store is away
    await RunLog(store).since(NAME, DUE.timestamp() - 60)
    ticking = clock_at(DUE.timestamp() - 0.5)
    # looks again every 0.2 s instead of every minute
    clock = Clock(now=ticking.now, sleep=lambda seconds: asyncio.sleep(min(seconds, 0.2)))
    async with outbox(config, store) as queue:  # the engine starts with the store open
        await store.close()
        scheduler = ReportScheduler(lambda: config, store, store, queue, clock)
        async with running(scheduler):
            await eventually(lambda: _logged(caplog, "could not look at the schedule"))
            await store.open()
            (run,) = await eventually(lambda: runs_recorded(scheduler, 1))
            await eventually(lambda: received(mail_server, 1))
    assert run.outcome == "queued for mail" and len(mail_server.messages) == 1


async def _logged(caplog: pytest.LogCaptureFixture, text: str) -> bool | None:
    return True if any(text in record.getMessage() for record in caplog.records) else None
