"""A site of some 10,000 endpoints gives a document of a few pages: top-N tables and one line
per group, the rest counted; tables that run over pages repeat their header."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pulse_reports.large_site import large_site
from pulse_reports.report import make_report

from .conftest import DUE


async def test_ten_thousand_endpoints_make_a_bounded_pdf(tmp_path: Path) -> None:
    async with large_site(tmp_path, DUE) as site:
        config = site.config
        assert len(config.endpoints) > 10_000
        document = await make_report(site.report, config, site.store, DUE)

    pdf = tmp_path / "large.pdf"
    pdf.write_bytes(document.body)
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")[:-1]
    assert len(pages) <= 25, len(pages)
    joined = "\f".join(pages)
    count = len(config.endpoints)
    assert re.search(rf"Endpoints\s+{count}\b", joined)
    assert f"and {count - 200} more endpoints not listed" in joined
    # every page a table runs onto starts with its header again
    # (of the endpoints' table, or of the slowest endpoints')
    header = re.compile(
        r"Endpoint\s+Group\s+(Availability\s+Status\s+Downtime\s+Unreachable\s+)?Avg RTT"
    )
    continued = [page for page in pages[1:] if re.search(r"block \d", page)]
    assert len(continued) >= 3
    for page in continued:
        first_row = re.search(r"block \d", page)
        assert first_row is not None
        assert header.search(page[: first_row.start()]), page[:400]
    assert all(f"Page {number} of {len(pages)}" in page for number, page in enumerate(pages, 1))
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "p")], check=True)
    assert len(list(tmp_path.glob("p-*.png"))) == len(pages)
