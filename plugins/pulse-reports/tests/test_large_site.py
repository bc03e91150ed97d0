"""A site of some 10,000 endpoints gives a document of a few pages: top-N tables and one line
per group, the rest counted; tables that run over pages repeat their header."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pulse_core.contract import CheckResult, CheckStatus
from pulse_reports.pulse_access import read_config
from pulse_reports.report import make_report
from pulse_store_sql import SqlStore

from .conftest import DUE, USERS_BLOCK, site_yaml, write_config

BLOCKS = ("127.10.0.0/20", "127.11.0.0/20", "127.20.0.0/21")  # 4,094 + 4,094 + 2,046 hosts


async def test_ten_thousand_endpoints_make_a_bounded_pdf(tmp_path: Path) -> None:
    blocks = "".join(
        f"  - {{type: tcp, name: block {index}, cidr: {cidr}, port: 1, group: plant}}\n"
        for index, cidr in enumerate(BLOCKS)
    )
    text = site_yaml(USERS_BLOCK.replace("[summary, availability, performance]",
                                         "[summary, availability, performance, outages, endpoints]"))
    text = text.replace("outbound:\n", blocks + "outbound:\n", 1)
    config = read_config(write_config(tmp_path, text))
    assert len(config.endpoints) > 10_000
    store = SqlStore(f"sqlite:///{tmp_path / 'pulse.db'}")
    await store.open()
    try:
        await store.sync_catalog(config.groups, config.endpoints)
        start = DUE.timestamp() - 86400
        await store.write_checks([
            CheckResult(endpoint.id, start + 60, CheckStatus.DOWN if index % 7 == 0 else CheckStatus.UP,
                        None if index % 7 == 0 else 1.0 + index % 50, None)
            for index, endpoint in enumerate(config.endpoints)
        ])
        await store.update_rollups()
        document = await make_report(config.sections["reports"].root[0], config, store, DUE)
    finally:
        await store.close()

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
    header = re.compile(r"Endpoint\s+Group\s+Availability\s+Status\s+Downtime\s+Avg RTT")
    continued = [page for page in pages[1:] if re.search(r"block \d", page)]
    assert len(continued) >= 3
    for page in continued:
        first_row = re.search(r"block \d", page)
        assert first_row is not None
        assert header.search(page[: first_row.start()]), page[:400]
    assert all(f"Page {number} of {len(pages)}" in page for number, page in enumerate(pages, 1))
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "p")], check=True)
    assert len(list(tmp_path.glob("p-*.png"))) == len(pages)
