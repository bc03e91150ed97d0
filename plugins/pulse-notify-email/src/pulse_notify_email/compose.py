"""The emails: a plain-text part and an HTML part saying the same, for one notification or
for a digest of several; and a report's, its text with its document attached.

Values go into the HTML part escaped (an endpoint named ``<b>PLC</b> & co`` is shown as
written, never as markup); the subject is the configured template, rendered as text.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from pulse_core.contract import ReportMessage
from pulse_notify_email.options import EmailOptions

Facts = list[tuple[str, str]]


def facts(variables: Mapping[str, Any]) -> Facts:
    """The labelled details of a notification, in reading order; empty ones left out."""
    endpoint = variables.get("endpoint") or {}
    response_time = variables.get("response_time")
    rows = [
        ("Endpoint", endpoint.get("name", "")),
        ("Address", endpoint.get("address", "")),
        ("Group", endpoint.get("group_name", "")),
        (
            "Status",
            f"{variables.get('status')} (was {variables.get('previous_status')})",
        ),
        ("Response time", "" if response_time in ("", None) else f"{response_time} ms"),
        ("Outage", variables.get("duration", "")),
        ("Error", variables.get("error", "")),
        ("Time", variables.get("timestamp", "")),
    ]
    return [(label, str(value)) for label, value in rows if value]


def single_email(options: EmailOptions, variables: Mapping[str, Any]) -> EmailMessage:
    rows = facts(variables)
    sentence = str(variables.get("message", ""))
    width = max(len(label) for label, _ in rows) + 2
    text = (
        sentence
        + "\n\n"
        + "".join(f"{label:<{width}}{value}\n" for label, value in rows)
    )
    table = "".join(
        f'<tr><th align="left">{html.escape(label)}</th><td>{html.escape(value)}</td></tr>\n'
        for label, value in rows
    )
    body = f"<p>{html.escape(sentence)}</p>\n<table>\n{table}</table>"
    return _email(options, options.subject.render(variables), text, body)


def digest_email(
    options: EmailOptions, notifications: Sequence[Mapping[str, Any]]
) -> EmailMessage:
    offline = sum(1 for item in notifications if item.get("status") == "offline")
    online = len(notifications) - offline
    count = f"{len(notifications)} notification{'s' * (len(notifications) != 1)}"
    subject = f"[Pulse] {count}: {offline} offline, {online} online"
    lines = [
        f"{item.get('timestamp', '')}  {item.get('message', '')}"
        for item in notifications
    ]
    text = f"{count} since the last email:\n\n" + "".join(f"{line}\n" for line in lines)
    rows = "".join(
        f"<tr><td>{html.escape(str(item.get('timestamp', '')))}</td>"
        f"<td>{html.escape(str(item.get('status', '')))}</td>"
        f"<td>{html.escape(str(item.get('message', '')))}</td></tr>\n"
        for item in notifications
    )
    body = (
        f"<p>{html.escape(count)} since the last email:</p>\n<table>\n"
        f'<tr><th align="left">Time</th><th align="left">Status</th>'
        f'<th align="left">What happened</th></tr>\n{rows}</table>'
    )
    return _email(options, subject, text, body)


def report_email(options: EmailOptions, report: ReportMessage) -> EmailMessage:
    """To the report's recipients, not the notifier's own ``to``."""
    message = _headed(options, report.subject, report.recipients)
    message.set_content(report.text)
    maintype, subtype = report.content_type.split("/", 1)
    message.add_attachment(
        report.body, maintype=maintype, subtype=subtype, filename=report.filename,
        params={"charset": "utf-8"} if maintype == "text" else None,
    )
    return message


def _headed(options: EmailOptions, subject: str, recipients: Sequence[str]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = options.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = " ".join(subject.split())  # no line breaks in a header
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="pulse")
    return message


def _email(
    options: EmailOptions, subject: str, text: str, html_body: str
) -> EmailMessage:
    message = _headed(options, subject, options.to)
    message.set_content(text)
    message.add_alternative(
        f"<!DOCTYPE html>\n<html><body>\n{html_body}\n</body></html>\n", subtype="html"
    )
    return message
