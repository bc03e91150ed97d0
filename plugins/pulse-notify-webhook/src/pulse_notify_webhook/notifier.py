"""``webhook``: a rendered JSON body sent to a URL, in the receiver's dialect if one is installed.

Without a dialect one request goes per notification and any 2xx is success. A dialect
(ServiceNow, Jira, in distributions of their own) sends instead, through :meth:`request`,
and reads its receiver's error replies, so the dead-letter list says what the receiver said.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from pydantic import BaseModel

from pulse_core.contract import (
    ERROR_EXCERPT_CHARS,
    HttpNotifier,
    Notification,
    Receipt,
    render_tree,
)
from pulse_notify_webhook.options import WebhookOptions, default_body


class WebhookNotifier(HttpNotifier):
    """The webhook notifier, and the :class:`~pulse_core.contract.WebhookSender` its
    dialect is handed."""

    type_name = "webhook"
    options_model = WebhookOptions
    options: WebhookOptions

    @property
    def url(self) -> str:
        return self.options.url

    @property
    def method(self) -> str:
        return self.options.method

    @property
    def headers(self) -> Mapping[str, str]:
        return self.options.headers

    @property
    def dialect_options(self) -> BaseModel | None:
        return self.options.dialect_options

    async def deliver(self, notification: Notification) -> Receipt:
        variables = dict(notification.variables)
        body = (
            default_body(variables)
            if self.options.body is None
            else render_tree(self.options.body, variables)
        )
        dialect = self.options.chosen_dialect
        if dialect is not None:
            return await dialect.send(self, notification, body)
        response = await self.request(
            self.method, self.url, json_body=body, headers=self.headers
        )
        return Receipt(f"HTTP {response.status_code}")

    def error_message(self, response: httpx.Response) -> str:
        dialect = self.options.chosen_dialect
        if dialect is None:
            return super().error_message(response)
        try:
            said = dialect.error_message(response.json())
        except ValueError:
            return super().error_message(response)
        return (said or response.text)[:ERROR_EXCERPT_CHARS]
