"""How long a scheduled PDF report of a site of 10,000 endpoints takes, and how big it is.

The site is the pulse-reports plugin's large site (``pulse_reports.large_site``, the one its
test reads): 10,234 tcp endpoints in three groups, a day of history on SQLite, rolled up,
one report of every section over 24h. The report is made as the scheduler makes it
(``make_report``: the store's reads, then drawing in a thread), several times on the same
store; the first run is counted like the others. Prints a JSON line:

- ``endpoints``: the endpoints the report covers;
- ``seconds_to_render``: the median wall time of one report, reads and drawing (goal ≤ 10 s);
- ``pdf_pages``: the document's pages, as ``pdfinfo`` reads them (goal ≤ 12);
- ``pdf_bytes``: the document's size.

``python bench/reports.py --runs 5``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from pulse_reports.large_site import large_site
from pulse_reports.report import make_report

#: The report is due at this moment and covers the 24 hours before it.
DUE = datetime(2026, 3, 10, 8, 0, tzinfo=timezone.utc)


def pdf_pages(pdf: Path) -> int:
    if shutil.which("pdfinfo") is None:
        raise SystemExit("pdfinfo is not installed (Debian and Ubuntu: apt-get install poppler-utils)")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    if found is None:
        raise SystemExit(f"pdfinfo printed no page count for {pdf}")
    return int(found.group(1))


async def measure(runs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="pulse-bench-reports-") as directory:
        folder = Path(directory)
        async with large_site(folder, DUE) as site:
            seconds = []
            for _ in range(runs):
                started = time.perf_counter()
                document = await make_report(site.report, site.config, site.store, DUE, format="pdf")
                seconds.append(time.perf_counter() - started)
            endpoints = len(site.config.endpoints)
        pdf = folder / "report.pdf"
        pdf.write_bytes(document.body)
        return {
            "endpoints": endpoints,
            "runs": runs,
            "seconds_to_render": round(statistics.median(seconds), 2),
            "pdf_pages": pdf_pages(pdf),
            "pdf_bytes": len(document.body),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    if arguments.runs < 1:
        parser.error("--runs must be at least 1")
    print(json.dumps(asyncio.run(measure(arguments.runs))))


if __name__ == "__main__":
    main()
