"""``python -m pulse_reports NAME --config FILE [--out FILE] [--send]``: make a report now.

The ``pulse`` command has no way for a plugin to add a subcommand yet, so this is the
report's command line: the same document as the schedule and the API make, written to a file,
and with ``--send`` emailed to the report's recipients at once (one attempt: a person is
waiting for the answer).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from pulse_reports.checks import sender_of
from pulse_reports.delivery import DeliveryFailed, Letter, deliver
from pulse_reports.pulse_access import ConfigError, email_notifiers, opened_store, read_config, reports_of
from pulse_reports.render_pdf import FontMissing
from pulse_reports.report import make_report
from pulse_reports.settings import FORMATS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pulse_reports", description="Make a configured report now."
    )
    parser.add_argument("name", help="the report's name in the reports: section")
    parser.add_argument(
        "--config", "-c", type=Path, default=os.environ.get("PULSE_CONFIG"),
        help="the YAML configuration file (default: $PULSE_CONFIG)",
    )
    parser.add_argument("--out", "-o", type=Path, help="where to write it (default: NAME-DATE.FORMAT here)")
    parser.add_argument("--format", choices=FORMATS, help="default: the report's format")
    parser.add_argument("--time-range", help="default: the report's timeRange (24h, 7d, yesterday...)")
    parser.add_argument("--send", action="store_true", help="also email it to its recipients")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.config is None:
        print("error: name the configuration with --config FILE or $PULSE_CONFIG", file=sys.stderr)
        return 2
    try:
        config = read_config(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    section = reports_of(config)
    entry = section.named(args.name) if section is not None else None
    if entry is None:
        names = ", ".join(repr(entry.name) for entry in section.root) if section else "none"
        print(f"error: {args.config}: no report is called '{args.name}' (reports: {names})", file=sys.stderr)
        return 1
    return asyncio.run(_make(args, config, entry))


async def _make(args: argparse.Namespace, config: object, entry: object) -> int:
    try:
        async with opened_store(config) as store:
            document = await make_report(
                entry, config, store, datetime.now(timezone.utc),
                format=args.format, time_range=args.time_range,
            )
    except FontMissing as missing:
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
    try:
        answer = await deliver(letter, email_notifiers(config)[sender_of(entry, config)], ())
    except DeliveryFailed as failure:
        print(f"error: not sent: {failure}", file=sys.stderr)
        return 1
    print(f"sent to {', '.join(entry.recipients)}: {answer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
