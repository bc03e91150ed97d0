"""The Integrations page's Reports panel, in a real browser against a real Pulse with the
pulse-reports plugin: a scheduled report with its next due time and its recorded runs (the
outcome by word and colour) for an editor; a viewer, whom the API refuses, sees no panel."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest_asyncio
from playwright.async_api import Browser, expect

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_reports.runs import RunLog, RunRecord

from .conftest import DESKTOP, register_and_sign_in, sign_in

REPORT = "Weekly Plant Summary"
PASSWORD = "correct horse battery"


def reporting_config(smtp_port: int) -> str:
    """A report due on Mondays at 08:00 in Paris, sent through an email notifier whose SMTP
    server on loopback is never contacted: nothing is due while the test runs."""
    return f"""
version: 1
defaults: {{interval_seconds: 3600}}
groups: [{{id: plant, name: Plant}}]
targets: [{{type: tcp, name: press, host: 127.0.0.1, port: 9, group: plant}}]
notifiers:
  - name: mail
    email: {{host: 127.0.0.1, port: {smtp_port}, starttls: false,
             from: "Pulse <pulse@plant.example>", to: ["ops@plant.example"]}}
reports:
  - name: {REPORT}
    schedule: "0 8 * * 1"
    timezone: Europe/Paris
    format: csv
    recipients: ["plant-manager@plant.example"]
"""


def run(due: str, outcome: str) -> RunRecord:
    return RunRecord(
        name=REPORT, due=due, trigger="schedule", period_start="2026-11-23T07:00:00Z",
        period_end=due, outcome=outcome, format="csv", size=2048,
        recipients=["plant-manager@plant.example"], finished=due,
    )


@pytest_asyncio.fixture
async def reporting(tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(reporting_config(free_tcp_port()), tmp_path) as running:
        runs = RunLog(running.pulse.store)
        await runs.add(run("2026-11-23T07:00:00Z", "sent"))
        await runs.add(run("2026-11-30T07:00:00Z", "failed: SMTP server refused the login"))
        yield running


async def test_an_editor_sees_the_reports_and_their_runs(
    browser: Browser, reporting: RunningPulse, screenshots: Path
) -> None:
    async with reporting.client() as client:
        listed = (await client.get("/api/reports")).json()["items"]
    page = await browser.new_page(viewport=DESKTOP)
    await register_and_sign_in(page, reporting)
    await page.get_by_role("link", name="Integrations").click()

    panel = page.get_by_role("region", name="Reports")
    report = panel.locator(f"[data-report='{REPORT}']")
    await expect(report.get_by_role("heading", name=REPORT)).to_be_visible()
    await expect(report.locator("[data-setting='Schedule'] dd")).to_have_text("0 8 * * 1 (Europe/Paris)")
    await expect(report.locator("[data-setting='Format'] dd")).to_have_text("CSV")
    next_due = report.locator("[data-setting='Next due'] time")
    await expect(next_due).to_have_attribute("datetime", listed[0]["nextDue"])
    shown = await page.evaluate(
        "due => new Date(due).toLocaleString([], { dateStyle: 'short', timeStyle: 'medium' })",
        listed[0]["nextDue"],
    )
    await expect(next_due).to_have_text(shown)

    # the runs, newest first, each outcome in words and in its colour
    outcomes = report.locator("tbody td.outcome .status")
    await expect(outcomes).to_have_text(["failed: SMTP server refused the login", "sent"])
    await expect(outcomes.first).to_have_class("status status-down")
    await expect(outcomes.last).to_have_class("status status-up")
    await expect(report.locator("tbody tr").first).to_contain_text("2.0 kB")
    await page.screenshot(path=screenshots / "integrations-reports.png", full_page=True)


async def test_a_viewer_sees_no_reports_panel(browser: Browser, reporting: RunningPulse) -> None:
    await add_user(reporting, "olga", Role.VIEWER, PASSWORD)
    page = await browser.new_page(viewport=DESKTOP)
    await sign_in(page, reporting, "olga", PASSWORD)
    await page.get_by_role("link", name="Integrations").click()
    # the page is drawn at once, notifiers and reports together
    await expect(page.locator("tr", has_text="mail")).to_be_visible()
    await expect(page.get_by_role("region", name="Reports")).to_have_count(0)
