"""Jira Cloud REST: one issue per outage, comments for what follows.

The first message POSTs the body (``{"fields": {...}}``) to ``.../issue`` and keeps
the issue key; on REST v3 a plain-text ``fields.description`` is wrapped into the Atlassian
Document Format that v3 requires. Later messages of the outage (reminders, the recovery) are
comments on that issue: Jira's workflows differ per project, so closing is left to them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pulse_core.contract import DeliveryError, Notification, Receipt

if TYPE_CHECKING:
    from pulse_notify_webhook.notifier import WebhookNotifier


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


async def send(
    notifier: WebhookNotifier, notification: Notification, body: Any
) -> Receipt:
    options = notifier.options
    version = api_version(options.url)
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
            options.method, options.url, json_body=body, headers=options.headers
        )
        key = response.json().get("key") if response.content else None
        if not isinstance(key, str):
            raise DeliveryError("Jira answered without an issue key", permanent=True)
        return Receipt(f"issue {key} created", key)
    text = _comment_text(fields, notification)
    comment = {"body": adf(text) if version == 3 else text}
    url = f"{options.url.rstrip('/')}/{notification.reference}/comment"
    await notifier.request("POST", url, json_body=comment, headers=options.headers)
    return Receipt(f"comment added to {notification.reference}", notification.reference)


def _comment_text(fields: Any, notification: Notification) -> str:
    if isinstance(fields, dict) and isinstance(fields.get("summary"), str):
        description = fields.get("description")
        summary: str = fields["summary"]
        return summary + (f"\n\n{description}" if isinstance(description, str) else "")
    return str(notification.variables.get("message", ""))
