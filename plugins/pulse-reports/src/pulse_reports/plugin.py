"""Hooks of the reports plugin: the ``reports:`` section, its checks, the ``/api/reports``
routes, the ``pulse report`` command and the task that sends reports when they are due."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from quart import Blueprint

from pulse_core.contract import PulseView, hookimpl
from pulse_reports import command
from pulse_reports.checks import Report, check_reports
from pulse_reports.routes import blueprint
from pulse_reports.schedule import ReportScheduler
from pulse_reports.settings import SECTION_NAME, ReportsSection

#: the cluster-wide job of producing scheduled reports: one node at a time does it
REPORTS_JOB = "pulse-reports"
#: The scheduler task of each running Pulse (a process may run several, as tests do).
_TASKS: dict[int, asyncio.Task[None]] = {}


@hookimpl
def pulse_config_sections(register: Callable[[str, type[BaseModel]], None]) -> None:
    register(SECTION_NAME, ReportsSection)


@hookimpl
def pulse_check_config(config: Any, report: Report) -> None:
    check_reports(config, report)


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)


@hookimpl
async def pulse_startup(app: PulseView) -> None:
    """Start the schedule; it reads the running configuration each time it looks, so a
    configuration applied through the API takes effect without a restart."""
    scheduler = ReportScheduler(
        lambda: app.config, app.store, app, app.queue_report,
        may_run=lambda: app.holds_job(REPORTS_JOB),
    )
    _TASKS[id(app)] = asyncio.create_task(scheduler.run(), name="pulse-reports")


@hookimpl
async def pulse_shutdown(app: PulseView) -> None:
    """Stop the schedule while the store is still open; a run cut short is not recorded, so
    the next start produces it."""
    task = _TASKS.pop(id(app), None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@hookimpl
def pulse_register_commands(register: Callable[..., None]) -> None:
    register(command.NAME, command.HELP, command.add_arguments, command.run)
