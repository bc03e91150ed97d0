"""``pulse report run NAME [--config FILE] [--out FILE] [--send]``: make a report now.

The same document as the schedule and the API make, written to a file, and with ``--send``
emailed to the report's recipients at once (one attempt: a person is waiting for the answer).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pulse_core.contract import AttachmentTooLarge, DeliveryError, InstalledPulse, Notification
from pulse_reports.checks import sender_of
from pulse_reports.delivery import Letter
from pulse_reports.pulse_access import PulseConfig, reports_of
from pulse_reports.pdf import PdfUnavailable
from pulse_reports.report import make_report
from pulse_reports.settings import FORMATS

NAME = "report"
HELP = "make a configured report now (pulse report run NAME)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="report_action", required=True)
    make = actions.add_parser("run", help="make a report now, write it to a file, maybe send it")
    make.add_argument("name", help="the report's name in the reports: section")
    make.add_argument(
        "--config", "-c", type=Path, default=os.environ.get("PULSE_CONFIG"),
        help="the YAML configuration file (default: $PULSE_CONFIG, else pulse.yaml in the "
        "data directory)",
    )
    make.add_argument("--out", "-o", type=Path, help="where to write it (default: NAME-DATE.FORMAT here)")
    make.add_argument("--format", choices=FORMATS, help="default: the report's format")
    make.add_argument("--time-range", help="default: the report's timeRange (24h, 7d, yesterday...)")
    make.add_argument("--send", action="store_true", help="also email it to its recipients")


def run(args: argparse.Namespace) -> int:
    """``pulse report run``: ``pulse`` has resolved ``args.config`` to a file already, and
    hands Pulse as installed in ``args.pulse``, which every step here goes through (a
    configuration with errors is printed by ``pulse``, with status 1)."""
    installed: InstalledPulse = args.pulse
    config = installed.read_config(args.config)
    section = reports_of(config)
    entry = section.named(args.name) if section is not None else None
    if entry is None:
        names = ", ".join(repr(entry.name) for entry in section.root) if section else "none"
        print(f"error: {args.config}: no report is called '{args.name}' (reports: {names})", file=sys.stderr)
        return 1
    return asyncio.run(_make(args, installed, config, entry))


async def _make(
    args: argparse.Namespace, installed: InstalledPulse, config: PulseConfig, entry: Any
) -> int:
    try:
        async with installed.opened_store(config) as store:
            document = await make_report(
                entry, config, store, datetime.now(timezone.utc),
                format=args.format, time_range=args.time_range,
            )
    except PdfUnavailable as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    letter = Letter(entry.name, document.period.end, entry.recipients, document)
    out = args.out or Path(letter.filename)
    out.write_bytes(document.body)
    print(f"{out}: {entry.name}, {document.period.label}, {len(document.body)} bytes")
    if not args.send:
        return 0
    if not entry.recipients:
        print(f"error: report '{entry.name}' has no recipients to send it to", file=sys.stderr)
        return 1
    via = sender_of(entry, config)
    try:
        # one attempt, outside the outbox, as `pulse notify test` sends: a person waits for it
        report = Notification(uuid.uuid4().hex, "report", letter.message().variables())
        receipt = await installed.deliver_once(config, via, report)
    except (AttachmentTooLarge, DeliveryError) as failure:
        print(f"error: not sent through {via}: {failure}", file=sys.stderr)
        return 1
    except TimeoutError:
        print(f"error: not sent through {via}: no answer within its delivery_timeout", file=sys.stderr)
        return 1
    print(f"sent to {', '.join(entry.recipients)} through {via}: {receipt.detail}")
    return 0
