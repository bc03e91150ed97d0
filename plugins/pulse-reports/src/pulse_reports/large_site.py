"""A site of some 10,000 endpoints with a day of history, the size a report must still make a
document of a few pages for.

It lives in the package, not in the tests folder, because two places build it: the plugin's
test of a large site reads the document it makes, and ``bench/reports.py`` times it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pulse_core.contract import CheckResult, CheckStatus, Store
from pulse_core.testing.installation import installed_pulse
from pulse_reports.pulse_access import PulseConfig, reports_of
from pulse_reports.settings import ReportEntry

#: One tcp target per block, each in a group of its own: 4,094 + 4,094 + 2,046 hosts.
BLOCKS = {"core": "127.10.0.0/20", "plant": "127.11.0.0/20", "office": "127.20.0.0/21"}
#: Every seventh endpoint is down for the period; the others answer in 1 to 50 ms.
DOWN_EVERY = 7


def site_yaml(database: Path) -> str:
    """The configuration: the blocks, an email notifier (nothing is sent) and one daily report
    with every section."""
    groups = "".join(f"  - {{id: {group}, name: {group.title()}}}\n" for group in BLOCKS)
    targets = "".join(
        f"  - {{type: tcp, name: block {index}, cidr: {cidr}, port: 1, group: {group}}}\n"
        for index, (group, cidr) in enumerate(BLOCKS.items())
    )
    return (
        "version: 1\n"
        f"storage:\n  url: sqlite:///{database}\n"
        "defaults:\n  interval_seconds: 3600\n"
        f"groups:\n{groups}"
        f"targets:\n{targets}"
        "outbound:\n  allow_networks: [127.0.0.0/8]\n"
        "notifiers:\n"
        "  - name: mail\n"
        "    email: {host: 127.0.0.1, port: 2525, starttls: false,"
        " from: Pulse <pulse@example.com>, to: [ops@example.com]}\n"
        "reports:\n"
        "  - name: Daily Network Summary\n"
        '    schedule: "0 8 * * *"\n'
        "    recipients: [admin@example.com]\n"
        "    content:\n"
        "      timeRange: 24h\n"
        "      sections: [summary, availability, performance, outages, endpoints]\n"
    )


@dataclass(frozen=True)
class LargeSite:
    config: PulseConfig
    store: Store

    @property
    def report(self) -> ReportEntry:
        entry: ReportEntry = reports_of(self.config).root[0]
        return entry


async def _fill_history(store: Store, config: PulseConfig, due: datetime) -> None:
    """One check per endpoint at the start of the 24 hours before ``due``, rolled up."""
    await store.sync_catalog(config.groups, config.endpoints)
    start = due.timestamp() - 86400
    await store.write_checks([
        CheckResult(
            endpoint.id, start + 60,
            CheckStatus.DOWN if index % DOWN_EVERY == 0 else CheckStatus.UP,
            None if index % DOWN_EVERY == 0 else 1.0 + index % 50, None,
        )
        for index, endpoint in enumerate(config.endpoints)
    ])
    await store.update_rollups()


@asynccontextmanager
async def large_site(folder: Path, due: datetime) -> AsyncIterator[LargeSite]:
    """The site's configuration in ``folder``, and its SQLite store there, open and filled."""
    path = folder / "pulse.yaml"
    path.write_text(site_yaml(folder / "pulse.db"), encoding="utf-8")
    installed = installed_pulse()
    config = installed.read_config(path)
    async with installed.opened_store(config) as store:
        await _fill_history(store, config, due)
        yield LargeSite(config, store)
