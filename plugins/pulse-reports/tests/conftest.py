"""A configuration with three groups, an email notifier and the ``reports`` block of the
users' integration document, verbatim, for every test of the plugin."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from pulse_core.alerting.engine import AlertEngine
from pulse_core.app import load_plugins
from pulse_core.contract import CheckResult, CheckStatus, ReportMessage
from pulse_core.testing.installation import installed_pulse
from pulse_core.testing.listeners import free_tcp_port
from pulse_reports.pulse_access import Outage
from pulse_store_sql import SqlStore

#: The block as the integration document gives it, comments and all.
USERS_BLOCK = """\
reports:
  - name: Daily Network Summary
    schedule: "0 8 * * *"          # cron, five fields; optional `timezone:` (default UTC)
    format: pdf                    # pdf | csv | html
    recipients: ["admin@company.com"]
    content:
      timeRange: 24h               # 1h .. 90d, or `yesterday`, `last_week`, `last_month`
      sections: [summary, availability, performance]   # also: outages, endpoints
      endpoints: all               # or a list of group ids / endpoint names
"""

EMAIL_NOTIFIER = """\
  - name: {name}
    email:
      host: 127.0.0.1
      port: {port}
      starttls: false
      from: Pulse <pulse@company.com>
      to: ["ops@company.com"]
"""


#: Retries after a fifth of a second, so a test sees several in a moment.
QUICK_RETRIES = "alerting:\n  retry_initial: 200ms\n  retry_max: 400ms\n"


def site_yaml(
    reports: str = USERS_BLOCK, email_notifiers: tuple[str, ...] = ("mail",), smtp_port: int = 2525,
    alerting: str = QUICK_RETRIES,
) -> str:
    """Three groups of loopback TCP targets checked once an hour, the given email notifiers,
    ``alerting`` settings and ``reports`` (a YAML block starting with ``reports:``)."""
    notifiers = "".join(EMAIL_NOTIFIER.format(name=name, port=smtp_port) for name in email_notifiers)
    return (
        "version: 1\n"
        "storage:\n  url: sqlite:///pulse.db\n"
        "defaults:\n  interval_seconds: 3600\n"
        "groups:\n"
        "  - {id: core, name: Core network}\n"
        "  - {id: plant, name: Plant floor}\n"
        "  - {id: office, name: Office}\n"
        "targets:\n"
        "  - {type: tcp, name: Router 1, host: 127.0.0.1, port: 1, group: core}\n"
        "  - {type: tcp, name: Router 2, host: 127.0.0.2, port: 1, group: core}\n"
        "  - {type: tcp, name: PLC 1, host: 127.0.0.3, port: 1, group: plant}\n"
        "  - {type: tcp, name: PLC 2, host: 127.0.0.4, port: 1, group: plant}\n"
        "  - {type: tcp, name: Printer, host: 127.0.0.5, port: 1, group: office}\n"
        "outbound:\n  allow_networks: [127.0.0.0/8]\n"
        + ("notifiers:\n" + notifiers if notifiers else "")
        + alerting
        + reports
    )


def write_config(folder: Path, text: str) -> Path:
    path = folder / "pulse.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- a store with known history ---------------------------------------------------------------

#: The report in the tests is due at 08:00 UTC on this day and covers the 24 hours before.
DUE = datetime(2026, 3, 10, 8, 0, tzinfo=timezone.utc)
QUARTER = 900.0
#: Endpoint name -> the 15-minute slots (counted from the period's start) checked down.
DOWN_SLOTS = {"Router 2": range(72, 80), "PLC 1": range(48, 51)}
RTT_MS = {"Router 1": 30.0, "Router 2": 12.0, "PLC 1": 4.0, "PLC 2": 6.0, "Printer": 2.0}
ERRORS = {"Router 2": "connection refused", "PLC 1": "timed out after 1500 ms"}
#: What the history above makes, worked out by hand: up checks / checks.
EXPECTED = {
    "Router 1": "100.00 %", "Router 2": "91.67 %", "PLC 1": "96.88 %", "PLC 2": "100.00 %",
    "Printer": "100.00 %", "Core network": "95.83 %", "Plant floor": "98.44 %",
    "Office": "100.00 %", "overall": "97.71 %", "previous": "100.00 %",
}


def recent_due() -> datetime:
    """The last full hour but one: the history before it lies within any range ending now."""
    return datetime.fromtimestamp((time.time() // 3600 - 1) * 3600, timezone.utc)


async def fill_history(store: Any, config: Any, due: datetime = DUE) -> None:
    """Two days of checks, one per 15 minutes per endpoint: the day before the period all up,
    the period with Router 2 down 02:00–04:00 and PLC 1 down 20:00–20:45 (two outages)."""
    await store.sync_catalog(config.groups, config.endpoints)
    start = due.timestamp() - 86400
    checks = []
    for endpoint in config.endpoints:
        down = DOWN_SLOTS.get(endpoint.name, range(0))
        for slot in range(-96, 96):
            is_down = slot in down
            checks.append(CheckResult(
                endpoint.id, start + slot * QUARTER + 60,
                CheckStatus.DOWN if is_down else CheckStatus.UP,
                None if is_down else RTT_MS[endpoint.name],
                ERRORS.get(endpoint.name) if is_down else None,
            ))
    await store.write_checks(checks)
    ids = {endpoint.name: endpoint.id for endpoint in config.endpoints}
    await store.write_outages([
        Outage(ids[name], start + slots[0] * QUARTER + 60, start + slots[-1] * QUARTER + 960,
               ERRORS[name])
        for name, slots in DOWN_SLOTS.items()
    ])
    await store.update_rollups()


@pytest.fixture
def smtp_port() -> int:
    """The port of the test's mail server (``mail`` in :func:`site_yaml` sends there)."""
    return free_tcp_port()


@asynccontextmanager
async def filled_site(folder: Path, smtp_port: int, due: datetime) -> AsyncIterator[tuple[Any, Any]]:
    """The configuration of :func:`site_yaml` and its SQLite store, with the history up to ``due``."""
    config = installed_pulse().read_config(write_config(folder, site_yaml(smtp_port=smtp_port)))
    store = SqlStore(f"sqlite:///{folder / 'pulse.db'}")
    await store.open()
    try:
        await fill_history(store, config, due)
        yield config, store
    finally:
        await store.close()


Queue = Callable[[str, ReportMessage, str], Awaitable[str]]


@asynccontextmanager
async def outbox(config: Any, store: Any) -> AsyncIterator[Queue]:
    """The alert engine a running Pulse has, on ``store``: its outbox and couriers deliver
    what the returned ``queue`` (``PulseView.queue_report``) is given."""
    engine = AlertEngine(store, load_plugins().registries.notifiers)
    await engine.start(config)

    async def queue(notifier: str, report: ReportMessage, cause: str) -> str:
        return await engine.queue_report(notifier, report.variables(), cause)

    try:
        yield queue
    finally:
        await engine.stop()


@pytest_asyncio.fixture
async def site(tmp_path: Path, smtp_port: int) -> AsyncIterator[tuple[Any, Any]]:
    """The site with its history in the 24 hours before :data:`DUE`."""
    async with filled_site(tmp_path, smtp_port, DUE) as made:
        yield made


# -- a mail server ------------------------------------------------------------------------------


class MailServer:
    """aiosmtpd on loopback ``port``, plain SMTP without login (what the ``mail`` notifier of
    :func:`site_yaml` speaks), keeping every message it accepts."""

    def __init__(self, port: int) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = email.message_from_bytes(envelope.content or b"", policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from or "", list(envelope.rcpt_tos)))
        return "250 2.0.0 Ok: queued"

    def start(self) -> MailServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def mail_server(smtp_port: int) -> Iterator[MailServer]:
    server = MailServer(smtp_port).start()
    yield server
    server.stop()
