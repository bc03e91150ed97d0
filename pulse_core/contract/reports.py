"""A report sent through a notifier: a subject, a short text, recipients and one attached
document, carried in an outbox message's variables.

The outbox keeps a message's variables as JSON, so the document travels base64-encoded under
``attachment`` and is bounded (:data:`MAX_ATTACHMENT_BYTES`): a report larger than that is
refused when it is queued, not when a mail server chokes on it hours later. A notifier that
takes reports (``email``) reads them back with :meth:`ReportMessage.from_variables`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The largest document a report may attach (before base64, which adds a third).
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class AttachmentTooLarge(ValueError):
    """A report's document is larger than :data:`MAX_ATTACHMENT_BYTES`."""


@dataclass(frozen=True)
class ReportMessage:
    """One report for one notifier: ``subject`` and ``text`` as written, sent to
    ``recipients`` (the report's, not the notifier's own), with ``body`` attached as
    ``filename`` of ``content_type``."""

    subject: str
    text: str
    recipients: Sequence[str]
    filename: str
    content_type: str
    body: bytes

    def __post_init__(self) -> None:
        if len(self.body) > MAX_ATTACHMENT_BYTES:
            raise AttachmentTooLarge(
                f"{self.filename} is {len(self.body):,} bytes, more than a report may attach "
                f"({MAX_ATTACHMENT_BYTES:,}): narrow its endpoints or its sections, or use csv"
            )

    def variables(self) -> dict[str, Any]:
        """The outbox message's variables (``message`` is the text, as the dead-letter list
        and a fallback notifier read it)."""
        return {
            "subject": self.subject,
            "message": self.text,
            "recipients": list(self.recipients),
            "attachment": {
                "filename": self.filename,
                "content_type": self.content_type,
                "data": base64.b64encode(self.body).decode("ascii"),
            },
        }

    @classmethod
    def from_variables(cls, variables: Mapping[str, Any]) -> ReportMessage:
        attachment = variables["attachment"]
        return cls(
            str(variables["subject"]), str(variables["message"]),
            tuple(variables["recipients"]), str(attachment["filename"]),
            str(attachment["content_type"]), base64.b64decode(attachment["data"]),
        )
