"""A report made now: ``GET /api/reports/{name}/render`` and ``pulse report run``
give the document the schedule gives; ``GET /api/reports`` lists reports and their runs."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from pulse_core.contract import Role
from pulse_core.testing.accounts import key_headers
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually
from pulse_reports.schedule import ReportScheduler

from .conftest import QUICK_RETRIES, MailServer, fill_history, filled_site, recent_due, site_yaml

NAME = "Daily Network Summary"
PATH = "/api/reports/Daily%20Network%20Summary/render"
#: 7 days around the two days of history: (5 × 192 checks − 11 down) / 960
SEVEN_DAYS = "98.85 %"


async def test_the_api_renders_a_report_now(tmp_path: Path, smtp_port: int) -> None:
    due = recent_due()
    async with running_pulse(site_yaml(smtp_port=smtp_port), tmp_path) as server:
        await fill_history(server.pulse.store, server.pulse.config, due)
        # the schedule started with Pulse: it noted when the report was first scheduled
        since = await eventually(lambda: server.pulse.store.setting(f"report-runs/{NAME}/since"))
        async with server.client() as client:
            pdf = await client.get(PATH, params={"timeRange": "7d"})
            table = await client.get(PATH, params={"timeRange": "7d", "format": "csv"})
            page = await client.get(PATH, params={"format": "html"})
            unknown = await client.get("/api/reports/Weekly/render")
            bad_range = await client.get(PATH, params={"timeRange": "120d"})
            listed = (await client.get("/api/reports")).json()
        async with server.client(authenticated=False) as client:
            viewer = await client.get(PATH, headers=await key_headers(server, Role.VIEWER))
            editor = await client.get(PATH, headers=await key_headers(server, Role.EDITOR))

    assert since.endswith("Z")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert re.match(r'attachment; filename="daily-network-summary-\d{4}-\d\d-\d\d\.pdf"',
                    pdf.headers["content-disposition"])
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    lines = table.text.splitlines()
    assert f"summary,Key figures,Availability,{SEVEN_DAYS}" in lines
    assert "summary,Key figures,Outages,2" in lines
    # the users' block asks for summary, availability and performance: no outage table
    assert not any(line.startswith("outages,") for line in lines)
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<section id="summary">' in page.text
    assert unknown.status_code == 404 and unknown.json()["message"] == "report 'Weekly' not found"
    assert bad_range.status_code == 400
    assert "time range 120d is outside 1h .. 90d" in bad_range.json()["message"]
    assert (viewer.status_code, editor.status_code) == (403, 200)
    (report,) = listed["items"]
    assert report["name"] == NAME and report["schedule"] == "0 8 * * *"
    assert report["nextDue"].endswith("T08:00:00Z")
    assert report["runs"] == []


async def test_api_lists_recorded_runs(tmp_path: Path, smtp_port: int, mail_server: MailServer) -> None:
    due = recent_due()
    async with running_pulse(site_yaml(smtp_port=smtp_port), tmp_path) as server:
        pulse = server.pulse
        await fill_history(pulse.store, pulse.config, due)
        scheduler = ReportScheduler(lambda: pulse.config, pulse.store, pulse, pulse.queue_report)
        entry = pulse.config.sections["reports"].root[0]
        made = await scheduler.produce(entry, due.timestamp(), "schedule")
        async with server.client() as client:
            (report,) = (await client.get("/api/reports")).json()["items"]
        (message,) = await eventually(lambda: _received(mail_server))
    assert report["runs"] == [made.to_json()]
    assert made.outcome == "queued for mail"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")


async def _received(server: MailServer) -> list[Any] | None:
    return server.messages or None


async def test_a_report_the_mail_server_never_takes_is_a_dead_letter(
    tmp_path: Path, smtp_port: int
) -> None:
    """No mail server listens: the outbox retries until max_age, then lists it."""
    due = recent_due()
    yaml = site_yaml(smtp_port=smtp_port, alerting=QUICK_RETRIES + "  max_age: 1s\n")
    async with running_pulse(yaml, tmp_path) as server:
        pulse = server.pulse
        await fill_history(pulse.store, pulse.config, due)
        scheduler = ReportScheduler(lambda: pulse.config, pulse.store, pulse, pulse.queue_report)
        made = await scheduler.produce(pulse.config.sections["reports"].root[0], due.timestamp(), "schedule")
        async with server.client() as client:
            (dead,) = await eventually(lambda: _dead_letters(client))
    assert made.outcome == "queued for mail"
    assert (dead["notifier"], dead["kind"]) == ("mail", "report")
    assert dead["attempts"] >= 1
    assert dead["message"].startswith(f"{NAME}, for ") and ".pdf)" in dead["message"]
    assert "not delivered within max_age" in dead["error"]


async def _dead_letters(client: Any) -> list[Any] | None:
    return (await client.get("/api/integrations/dead-letters")).json()["items"] or None


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``pulse report run ARGS``, the installed command as a user types it."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "pulse"), "report", "run", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )


async def test_the_command_line_writes_a_pdf(tmp_path: Path, smtp_port: int) -> None:
    due = recent_due()
    async with filled_site(tmp_path, smtp_port, due):
        pass
    out = tmp_path / "now.pdf"
    made = run_cli(NAME, "--config", str(tmp_path / "pulse.yaml"), "--out", str(out),
                   "--time-range", "7d", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert NAME in text and SEVEN_DAYS in text


async def test_the_command_line_writes_and_sends_a_report(
    tmp_path: Path, smtp_port: int, mail_server: MailServer
) -> None:
    due = recent_due()
    async with filled_site(tmp_path, smtp_port, due):
        pass
    config = str(tmp_path / "pulse.yaml")
    out = tmp_path / "now.csv"
    made = run_cli(NAME, "--config", config, "--out", str(out), "--format", "csv",
                   "--time-range", "7d", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"{out}: {NAME}, ")
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert ["summary", "Key figures", "Availability", SEVEN_DAYS] in rows

    sent = run_cli(NAME, "--config", config, "--out", str(out), "--format", "csv",
                      "--time-range", "7d", "--send", cwd=tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert "sent to admin@company.com" in sent.stdout
    (message,) = mail_server.messages
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_content().replace("\r\n", "\n") == out.read_text().replace("\r\n", "\n")

    missing = run_cli("Weekly", "--config", config, cwd=tmp_path)
    assert missing.returncode == 1
    assert f"no report is called 'Weekly' (reports: '{NAME}')" in missing.stderr
