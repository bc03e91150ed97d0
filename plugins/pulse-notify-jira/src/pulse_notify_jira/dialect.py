"""Jira Cloud REST: one issue per outage, comments for what follows.

The first message POSTs the body (``{"fields": {...}}``) to ``.../issue`` and keeps
the issue key; on REST v3 a plain-text ``fields.description`` is wrapped into the Atlassian
Document Format that v3 requires. Later messages of the outage (reminders, the recovery) are
comments on that issue: Jira's workflows differ per project, so closing is left to them.
"""

from __future__ import annotations

import re
from typing import Any

from pulse_core.contract import (
    DeliveryError,
    Notification,
    Receipt,
    WebhookDialect,
    WebhookSender,
)

ISSUE_URL = re.compile(r"/rest/api/[23]/issue/?$")


class JiraDialect(WebhookDialect):
    name = "jira"

    def matches(self, url: str) -> bool:
        return ISSUE_URL.search(url) is not None

    async def send(
        self, notifier: WebhookSender, notification: Notification, body: Any
    ) -> Receipt:
        version = api_version(notifier.url)
        fields = body.get("fields") if isinstance(body, dict) else None
        if notification.reference is None:
            if (
                version == 3
                and isinstance(fields, dict)
                and isinstance(fields.get("description"), str)
            ):
                body = {
                    **body,
                    "fields": {**fields, "description": adf(fields["description"])},
                }
            response = await notifier.request(
                notifier.method, notifier.url, json_body=body, headers=notifier.headers
            )
            key = response.json().get("key") if response.content else None
            if not isinstance(key, str):
                raise DeliveryError("Jira answered without an issue key", permanent=True)
            return Receipt(f"issue {key} created", key)
        text = _comment_text(fields, notification)
        comment = {"body": adf(text) if version == 3 else text}
        url = f"{notifier.url.rstrip('/')}/{notification.reference}/comment"
        await notifier.request("POST", url, json_body=comment, headers=notifier.headers)
        return Receipt(
            f"comment added to {notification.reference}", notification.reference
        )

    def error_message(self, document: Any) -> str | None:
        if not isinstance(document, dict) or not (
            "errorMessages" in document or "errors" in document
        ):
            return None
        parts = [str(text) for text in document.get("errorMessages") or []]
        errors = document.get("errors") or {}
        if isinstance(errors, dict):
            parts += [f"{field}: {text}" for field, text in errors.items()]
        return "; ".join(parts) or None


def api_version(url: str) -> int:
    match = re.search(r"/rest/api/([23])/", url + "/")
    return int(match.group(1)) if match else 2


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document: paragraphs at blank lines, hard breaks within."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        content: list[dict[str, Any]] = []
        for line in block.split("\n"):
            if content:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


def _comment_text(fields: Any, notification: Notification) -> str:
    if isinstance(fields, dict) and isinstance(fields.get("summary"), str):
        description = fields.get("description")
        summary: str = fields["summary"]
        return summary + (f"\n\n{description}" if isinstance(description, str) else "")
    return str(notification.variables.get("message", ""))
