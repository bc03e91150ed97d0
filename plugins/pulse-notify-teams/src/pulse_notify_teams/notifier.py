"""``teams``: one card per notification to a Microsoft Teams webhook.

A Workflows webhook answers 202 Accepted as soon as it has queued the flow's run: the
message may still fail to post (a flow turned off, a channel gone), and the webhook cannot
tell. Pulse counts 200 and 202 as delivered; check the flow's run history in Power Automate
when messages go missing. Errors come back as ``{"error": {"code", "message"}}``; 4xx are
permanent, 429 and 5xx retried.
"""

from __future__ import annotations

from typing import Any

import httpx

from pulse_core.contract import (
    ERROR_EXCERPT_CHARS,
    HttpNotifier,
    Notification,
    Notifier,
    Receipt,
    render_tree,
)
from pulse_notify_teams.options import TeamsOptions

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def workflows_message(card: dict[str, Any]) -> dict[str, Any]:
    """The envelope a Workflows webhook wants around one Adaptive Card."""
    return {
        "type": "message",
        "attachments": [
            {"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}
        ],
    }


class TeamsNotifier(HttpNotifier):
    type_name = "teams"
    options_model = TeamsOptions
    options: TeamsOptions
    secret_keys = Notifier.secret_keys | {"webhookurl"}

    def message(self, notification: Notification) -> dict[str, Any]:
        """The JSON body for ``notification``."""
        rendered: dict[str, Any] = render_tree(
            self.options.card, notification.variables
        )
        if self.options.shape == "adaptive_card":
            return workflows_message(rendered)
        return rendered

    async def deliver(self, notification: Notification) -> Receipt:
        response = await self.request(
            "POST", self.options.webhook_url, json_body=self.message(notification)
        )
        if response.status_code == 202:
            return Receipt(
                "HTTP 202: accepted by the workflow (Teams does not confirm the post)"
            )
        return Receipt(f"HTTP {response.status_code}")

    def error_message(self, response: httpx.Response) -> str:
        try:
            document = response.json()
        except ValueError:
            return super().error_message(response)
        error = document.get("error") if isinstance(document, dict) else None
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])[:ERROR_EXCERPT_CHARS]
        return super().error_message(response)
