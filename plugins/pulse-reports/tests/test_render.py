"""Reports drawn from a store with known history: the figures worked out by hand appear in
the PDF's text (read back with pdftotext), every page renders (pdftoppm), and CSV and HTML
carry the same sections."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from pulse_reports.pulse_access import Outage
from pulse_reports.report import make_report

from .conftest import DUE, EXPECTED

ALL_SECTIONS = ["summary", "availability", "performance", "outages"]
REPOSITORY = Path(__file__).resolve().parents[3]
#: Where the first page of the report is saved: a build folder git ignores, so running the tests
#: leaves the checkout as it was; ``PULSE_SCREENSHOTS=docs/screenshots`` refreshes the picture
#: docs/reports.md shows (as the dashboard's tests do).
SCREENSHOTS = REPOSITORY / os.environ.get("PULSE_SCREENSHOTS", "build/screenshots")


def entry_of(config: Any, **content: Any) -> Any:
    entry = config.sections["reports"].root[0]
    return replace_model(entry, site="Plant 7", content=replace_model(entry.content, **content))


def replace_model(model: Any, **changes: Any) -> Any:
    return model.model_copy(update=changes)


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def render_pages(pdf: Path, folder: Path) -> list[Path]:
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(folder / "page")],
        capture_output=True, check=True,
    )
    return sorted(folder.glob("page-*.png"))


async def test_the_pdf_shows_the_figures_of_the_history(site: tuple[Any, Any], tmp_path: Path) -> None:
    config, store = site
    entry = entry_of(config, sections=ALL_SECTIONS)
    document = await make_report(entry, config, store, DUE)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(document.body)
    text = pdf_text(pdf)

    assert document.media_type == "application/pdf" and document.body.startswith(b"%PDF")
    assert "Daily Network Summary" in text
    assert "Plant 7 · 2026-03-09 08:00 – 2026-03-10 08:00 UTC · generated" in text
    headings = [  # a heading may open a page (a form feed before it)
        re.search(rf"[\n\f]{name.capitalize()}\n", text).start() for name in ALL_SECTIONS  # type: ignore[union-attr]
    ]
    assert headings == sorted(headings)
    assert re.search(r"Endpoints\s+5\b", text)
    assert re.search(rf"Availability\s+{EXPECTED['overall']}", text)
    assert re.search(rf"Previous period\s+{EXPECTED['previous']}", text)
    assert re.search(r"Outages\s+2\b", text)
    assert re.search(r"Total downtime\s+2 h 45 min", text)
    for name in ("Router 2", "PLC 1", "Core network", "Plant floor", "Office"):
        assert re.search(rf"{name}\s.*{EXPECTED[name]}", text), name
    assert re.search(r"Router 2\s+Core network\s+91\.67 %\s+poor", text)
    assert re.search(r"PLC 1\s+Plant floor\s+96\.88 %\s+poor", text)
    assert re.search(
        r"Router 2\s+2026-03-10 02:01:00\s+2026-03-10 04:01:00\s+2 h 00 min\s+connection refused", text
    )
    assert re.search(r"PLC 1\s+2026-03-09 20:01:00\s+2026-03-09 20:46:00\s+45 min 00 s\s+timed out", text)
    assert "Page 1 of" in text
    pages = render_pages(pdf, tmp_path)
    assert pages and all(page.stat().st_size > 0 for page in pages)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(render_first_page(pdf, tmp_path), SCREENSHOTS / "report-first-page.png")


async def test_time_unreachable_behind_a_parent_is_shown_apart_from_downtime(
    site: tuple[Any, Any], tmp_path: Path
) -> None:
    """PLC 2 was unreachable behind Router 2 for its first half hour down: 30 minutes of
    unreachable time for PLC 2 and its group, no outage and no downtime of its own."""
    config, store = site
    ids = {endpoint.name: endpoint.id for endpoint in config.endpoints}
    router_down = DUE.timestamp() - 86400 + 72 * 900 + 60  # 02:01, as conftest writes it
    await store.write_outages(
        [Outage(ids["PLC 2"], router_down, router_down + 1800, "timed out", cause=ids["Router 2"])]
    )
    entry = entry_of(config, sections=["summary", "availability"])
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes((await make_report(entry, config, store, DUE)).body)
    text = pdf_text(pdf)
    assert re.search(r"Outages\s+2\b", text)
    assert re.search(r"Total downtime\s+2 h 45 min", text)
    assert re.search(r"Total unreachable\s+30 min 00 s", text)
    # pdftotext reads the narrow "0 s" as "0s"
    assert re.search(r"PLC 2\s+Plant floor\s+100\.00 %\s+good\s+0 ?s\s+30 min 00 s", text)
    assert re.search(r"Router 2\s+Core network\s+91\.67 %\s+poor\s+2 h 00 min\s+0 ?s", text)
    assert re.search(r"Plant floor\s+2\s+\S+ %\s+\w+\s+45 min 00 s\s+30 min 00 s", text)

    table = await make_report(entry, config, store, DUE, format="csv")
    rows = list(csv.reader(io.StringIO(table.body.decode())))
    assert ["summary", "Key figures", "Total unreachable", "30 min 00 s"] in rows
    groups = {row[2]: row[6:] for row in rows if row[:2] == ["availability", "Groups"]}
    assert groups["Plant floor"] == ["45 min 00 s", "30 min 00 s"]
    page = (await make_report(entry, config, store, DUE, format="html")).body.decode()
    assert "<th>Unreachable</th>" in page


def render_first_page(pdf: Path, folder: Path) -> Path:
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
         str(folder / "first")],
        capture_output=True, check=True,
    )
    return folder / "first.png"


async def test_only_the_sections_asked_for_in_their_order(site: tuple[Any, Any], tmp_path: Path) -> None:
    config, store = site
    document = await make_report(entry_of(config, sections=["outages", "summary"]), config, store, DUE)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(document.body)
    text = pdf_text(pdf)
    assert text.index("\nOutages\n") < text.index("\nSummary\n")
    assert "\nPerformance\n" not in text and "Availability per group" not in text


async def test_a_report_of_some_groups_and_endpoints(site: tuple[Any, Any], tmp_path: Path) -> None:
    config, store = site
    entry = entry_of(config, sections=["summary"], endpoints=["plant", "Printer"])
    document = await make_report(entry, config, store, DUE, format="csv")
    rows = list(csv.reader(io.StringIO(document.body.decode())))
    facts = {row[2]: row[3] for row in rows if row[:2] == ["summary", "Key figures"]}
    assert facts["Endpoints"] == "3"
    assert facts["Availability"] == "98.96 %"  # (96 + 93 + 96) / 288 up
    assert facts["Outages"] == "1"


async def test_csv_and_html_hold_the_same_sections(site: tuple[Any, Any]) -> None:
    config, store = site
    entry = entry_of(config, sections=ALL_SECTIONS)
    table = await make_report(entry, config, store, DUE, format="csv")
    rows = list(csv.reader(io.StringIO(table.body.decode())))
    assert table.media_type == "text/csv"
    assert [row[0] for row in rows[1:]] == sorted(
        (row[0] for row in rows[1:]), key=ALL_SECTIONS.index
    )
    assert ["summary", "Key figures", "Availability", EXPECTED["overall"]] in rows
    assert [
        "availability", "Groups", "Core network", "2", EXPECTED["Core network"], "poor",
        "2 h 00 min", "0 s",
    ] in rows
    # weighted by checks: Router 1's 96 buckets at 30 ms outweigh Router 2's 88 at 12 ms
    rtt = "Round-trip time per group (of 15-minute averages)"
    assert ["performance", rtt, "Core network", "30.0 ms", "30.0 ms"] in rows
    assert ["performance", rtt, "Plant floor", "6.0 ms", "6.0 ms"] in rows
    assert [
        "outages", "Outages", "Router 2", "2026-03-10 02:01:00", "2026-03-10 04:01:00",
        "2 h 00 min", "connection refused",
    ] in rows

    page = (await make_report(entry, config, store, DUE, format="html")).body.decode()
    ids = [page.index(f'<section id="{name}">') for name in ALL_SECTIONS]
    assert ids == sorted(ids)
    assert f"<td>{EXPECTED['Plant floor']}</td>" in page
    assert "<td>connection refused</td>" in page


async def test_the_period_hour_by_hour_shows_when_things_went_wrong(
    site: tuple[Any, Any], tmp_path: Path
) -> None:
    """Router 2 was down 02:00-04:00 (the period's hours 18 and 19), PLC 1 three quarters of
    20:00-21:00 (hour 12); the site's mean RTT is 10.8 ms with every endpoint up."""
    config, store = site
    entry = entry_of(config, sections=["availability", "performance"])
    table = await make_report(entry, config, store, DUE, format="csv")
    rows = list(csv.reader(io.StringIO(table.body.decode())))
    strips = "Worst 10 endpoints, hour by hour"
    header = next(row for row in rows if row[:3] == ["availability", strips, "Endpoint"])
    assert header[3:] == [f"{(8 + hour) % 24:02d}:00" for hour in range(24)]
    strip = {row[2]: row[3:] for row in rows if row[1] == strips and row[2] != "Endpoint"}
    assert list(strip)[:2] == ["Router 2", "PLC 1"]
    assert strip["Router 2"] == ["100.00"] * 18 + ["0.00", "0.00"] + ["100.00"] * 4
    assert strip["PLC 1"] == ["100.00"] * 12 + ["25.00"] + ["100.00"] * 11
    line = "Average round-trip time of all endpoints, hour by hour"
    values = next(row for row in rows if row[1] == line and row[2] == "ms")[3:]
    assert values[0] == "10.80" and values[12] == "12.00" and values[18:20] == ["10.50"] * 2

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes((await make_report(entry, config, store, DUE)).body)
    text = pdf_text(pdf)
    assert strips in text and line in text
    assert "crossed = poor" in text and "08:00" in text
    assert render_pages(pdf, tmp_path)

    page = (await make_report(entry, config, store, DUE, format="html")).body.decode()
    assert '<table class="strips">' in page and "<polyline points=" in page


async def test_a_calendar_range_in_the_report_timezone(site: tuple[Any, Any], tmp_path: Path) -> None:
    config, store = site
    entry = replace_model(entry_of(config, time_range="yesterday"), timezone="Europe/Paris")
    document = await make_report(entry, config, store, DUE, format="csv")
    assert "2026-03-09 00:00 – 2026-03-10 00:00 CET" in document.body.decode()
