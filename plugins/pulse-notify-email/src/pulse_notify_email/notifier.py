"""``email``: one email per notification, or a digest (see :mod:`pulse_notify_email.digest`);
a report (kind ``report``) is always an email of its own, with its document attached.

Each email has a plain-text part and an HTML part (values escaped), goes through the
installation's outbound policy, STARTTLS or implicit TLS, and the server's login.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from pulse_core.contract import Notification, Notifier, OutboundPolicy, Receipt, ReportMessage
from pulse_notify_email.compose import digest_email, report_email, single_email
from pulse_notify_email.digest import Digest
from pulse_notify_email.options import EmailOptions
from pulse_notify_email.smtp import send_email


class EmailNotifier(Notifier):
    type_name = "email"
    options_model = EmailOptions
    options: EmailOptions

    def __init__(self, name: str, options: BaseModel, outbound: OutboundPolicy) -> None:
        super().__init__(name, options, outbound)
        window = self.options.digest
        self._digest = (
            None if window is None else Digest(name, window, self._send_digest)
        )

    async def close(self) -> None:
        if self._digest is not None:
            await self._digest.close()

    async def deliver(self, notification: Notification) -> Receipt:
        if notification.kind == "report":
            report = ReportMessage.from_variables(notification.variables)
            answer = await send_email(self.options, self.outbound, report_email(self.options, report))
            return Receipt(
                f"{report.filename} sent to {len(report.recipients)} recipient(s), SMTP 250 {answer}"
            )
        if self._digest is not None and notification.kind != "test":
            self._digest.add(notification.variables)
            return Receipt(
                f"gathered for the digest ({self._digest.gathered} in this window)"
            )
        message = single_email(self.options, notification.variables)
        answer = await send_email(self.options, self.outbound, message)
        return Receipt(f"sent to {len(self.options.to)} recipient(s), SMTP 250 {answer}")

    async def _send_digest(self, notifications: list[Mapping[str, Any]]) -> None:
        await send_email(
            self.options, self.outbound, digest_email(self.options, notifications)
        )
