"""Hooks of the reports plugin: the ``reports:`` section, its checks, the ``/api/reports``
routes and the task that sends reports when they are due."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from quart import Blueprint

from pulse_core.contract import hookimpl
from pulse_reports.checks import Report, check_reports
from pulse_reports.settings import SECTION_NAME, ReportsSection


@hookimpl
def pulse_config_sections(register: Callable[[str, type[BaseModel]], None]) -> None:
    register(SECTION_NAME, ReportsSection)


@hookimpl
def pulse_check_config(config: Any, report: Report) -> None:
    check_reports(config, report)
