"""A report as the email that carries it: subject, text, recipients and the document attached,
handed to the durable outbox (scheduled runs) or to its email notifier at once
(``pulse report run --send``).

The outbox gives a report what it gives every notification: retries after growing delays, a
dead letter when the notifier gives up, and the fallback notifier.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pulse_core.contract import ReportMessage
from pulse_reports.report import Document


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

    def message(self) -> ReportMessage:
        """Raises AttachmentTooLarge for a document the outbox may not carry."""
        label = self.document.period.label
        return ReportMessage(
            subject=f"[Pulse] {self.report}: {label}",
            text=f"{self.report}, for {label}, is attached ({self.filename}).\n",
            recipients=tuple(self.recipients),
            filename=self.filename,
            content_type=self.document.media_type,
            body=self.document.body,
        )
