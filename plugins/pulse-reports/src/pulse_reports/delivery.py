"""A report emailed with its document attached, through an email notifier's SMTP settings.

Sent directly with aiosmtplib, not through the durable outbox: an outbox message holds
template variables for its notifier to compose, and cannot carry an attachment. So a failed
attempt is retried here, after growing delays, and a report still undelivered when Pulse
stops is not recorded as run, so the next start produces it again (the run log is the
durable part). A 5xx reply or a refused login ends the retries: only a configuration change
can help.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid

import aiosmtplib

from pulse_reports.pulse_access import SmtpSettings
from pulse_reports.report import Document

log = logging.getLogger("pulse.reports")

#: Seconds to wait before each retry: about an hour of trying in all.
RETRY_DELAYS_S = (30.0, 120.0, 300.0, 900.0, 1800.0)
SMTP_TIMEOUT_S = 30.0


class DeliveryFailed(Exception):
    """The report could not be sent; the message says where and why."""


@dataclass(frozen=True)
class Letter:
    report: str
    due: datetime
    recipients: Sequence[str]
    document: Document

    @property
    def filename(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.report.lower()).strip("-") or "report"
        return f"{slug}-{self.due:%Y-%m-%d}.{self.document.format}"


def compose(letter: Letter, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(letter.recipients)
    message["Subject"] = f"[Pulse] {letter.report}: {letter.document.period.label}"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="pulse.local")
    message.set_content(
        f"{letter.report}, for {letter.document.period.label}, is attached "
        f"({letter.filename}).\n"
    )
    maintype, subtype = letter.document.media_type.split("/")
    message.add_attachment(
        letter.document.body, maintype=maintype, subtype=subtype, filename=letter.filename,
        params={"charset": "utf-8"} if maintype == "text" else None,
    )
    return message


async def deliver(
    letter: Letter, smtp: SmtpSettings, retry_delays: Sequence[float] = RETRY_DELAYS_S
) -> str:
    """Send ``letter``, retrying passing failures; the server's answer, or DeliveryFailed."""
    message = compose(letter, smtp.sender)
    envelope_from = getaddresses([smtp.sender])[0][1] or smtp.sender
    where = f"{smtp.host}:{smtp.port}"
    refusal = await smtp.refusal(smtp.host, smtp.port)
    if refusal is not None:
        raise DeliveryFailed(f"{refusal} (notifier {smtp.notifier})")
    for attempt, delay in enumerate((*retry_delays, None), start=1):
        try:
            _, answer = await aiosmtplib.send(
                message,
                sender=envelope_from,
                recipients=list(letter.recipients),
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password,
                use_tls=smtp.tls,
                start_tls=smtp.starttls,
                tls_context=smtp.tls_context() if smtp.tls or smtp.starttls else None,
                timeout=SMTP_TIMEOUT_S,
            )
            return answer
        except (aiosmtplib.SMTPException, OSError) as error:
            reason = f"{where} (notifier {smtp.notifier}): {error}"
            if _permanent(error) or delay is None:
                raise DeliveryFailed(reason) from None
            log.warning(
                "report %s: attempt %d failed, retrying in %g s: %s",
                letter.report, attempt, delay, reason,
            )
            await asyncio.sleep(delay)
    raise AssertionError("the loop returns or raises")


def _permanent(error: Exception) -> bool:
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return True
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return 500 <= error.code < 600
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= refusal.code < 600 for refusal in error.recipients)
    return False
