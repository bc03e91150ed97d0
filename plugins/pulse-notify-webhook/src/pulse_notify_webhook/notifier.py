"""``webhook``: a rendered JSON body sent to a URL, spoken in the receiver's dialect.

- ``generic``: one request per notification, any 2xx is success;
- ``servicenow`` and ``jira`` (chosen from the URL, or by ``dialect``): see their modules.

Error replies are read in each service's format (ServiceNow ``error.message``/``detail``,
Jira ``errorMessages``/``errors``) so the dead-letter list says what the receiver said.
"""

from __future__ import annotations

from typing import Any

import httpx

from pulse_core.contract import (
    ERROR_EXCERPT_CHARS,
    HttpNotifier,
    Notification,
    Receipt,
    render_tree,
)
from pulse_notify_webhook import jira, servicenow
from pulse_notify_webhook.options import WebhookOptions, default_body


class WebhookNotifier(HttpNotifier):
    type_name = "webhook"
    options_model = WebhookOptions
    options: WebhookOptions

    async def deliver(self, notification: Notification) -> Receipt:
        variables = dict(notification.variables)
        body = (
            default_body(variables)
            if self.options.body is None
            else render_tree(self.options.body, variables)
        )
        dialect = self.options.resolved_dialect()
        if dialect == "servicenow":
            return await servicenow.send(self, notification, body)
        if dialect == "jira":
            return await jira.send(self, notification, body)
        response = await self.request(
            self.options.method,
            self.options.url,
            json_body=body,
            headers=self.options.headers,
        )
        return Receipt(f"HTTP {response.status_code}")

    def error_message(self, response: httpx.Response) -> str:
        try:
            document = response.json()
        except ValueError:
            return super().error_message(response)
        return (_known_error(document) or response.text)[:ERROR_EXCERPT_CHARS]


def _known_error(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    error = document.get("error")
    if isinstance(error, dict) and "message" in error:  # ServiceNow
        detail = error.get("detail")
        return f"{error['message']}: {detail}" if detail else str(error["message"])
    if "errorMessages" in document or "errors" in document:  # Jira
        parts = [str(text) for text in document.get("errorMessages") or []]
        errors = document.get("errors") or {}
        if isinstance(errors, dict):
            parts += [f"{field}: {text}" for field, text in errors.items()]
        return "; ".join(parts) or None
    return None
