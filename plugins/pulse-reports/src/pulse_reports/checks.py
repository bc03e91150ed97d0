"""Checks of ``reports`` against the other sections: names unique, groups and endpoints that
exist, and an email notifier to send through."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from pulse_reports.pulse_access import PulseConfig, catalogue, email_notifiers, reports_of
from pulse_reports.settings import ReportEntry

Report = Callable[[tuple[str | int, ...], str], None]


def check_reports(config: PulseConfig, report: Report) -> None:
    section = reports_of(config)
    if section is None or not section.root:
        return
    groups, endpoints = catalogue(config)
    known = [group.id for group in groups] + [endpoint.name for endpoint in endpoints]
    senders = sorted(entry.name for entry in email_notifiers(config))
    seen: set[str] = set()
    for index, entry in enumerate(section.root):
        if entry.name in seen:
            report(("reports", index, "name"), f"another report is called '{entry.name}'")
        seen.add(entry.name)
        if not isinstance(entry.content.endpoints, str):
            for position, wanted in enumerate(entry.content.endpoints):
                if wanted not in known:
                    report(
                        ("reports", index, "content", "endpoints", position),
                        f"no group id or endpoint name is '{wanted}'{_did_you_mean(wanted, known)}",
                    )
        _check_sender(entry, index, senders, report)


def _check_sender(entry: ReportEntry, index: int, senders: Sequence[str], report: Report) -> None:
    if entry.via is not None:
        if entry.via not in senders:
            listed = ", ".join(senders) or "none is configured"
            report(
                ("reports", index, "via"),
                f"no email notifier is called '{entry.via}' (email notifiers: {listed})",
            )
        return
    if not senders:
        report(
            ("reports", index),
            "reports are sent by email through an email notifier, and "
            "notifiers has no email entry: add one (see docs/alerting.md)",
        )
    elif len(senders) > 1:
        report(
            ("reports", index),
            f"several email notifiers ({', '.join(senders)}): say which one sends this report "
            "with via: <notifier name>",
        )


def sender_of(entry: ReportEntry, config: PulseConfig) -> str:
    """The name of the email notifier that sends ``entry`` (the configuration was checked)."""
    return entry.via or email_notifiers(config)[0].name


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
