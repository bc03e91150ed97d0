"""ServiceNow Table API: one incident per outage.

The first message of an outage POSTs to the table URL (``.../api/now/table/incident``) and
keeps the answer's ``result.sys_id`` as the receipt's reference; later messages of the same
outage (reminders, the recovery) PATCH ``.../incident/{sys_id}``; the recovery also sets the
``resolve`` fields (Resolved, by default), so the incident opened is the incident closed.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pulse_core.contract import (
    DeliveryError,
    Notification,
    Receipt,
    TemplateTree,
    WebhookDialect,
    WebhookSender,
    render_tree,
)

#: Fields merged into a ServiceNow incident when the endpoint recovers (state 6 = Resolved).
DEFAULT_RESOLVE = {
    "state": "6",
    "close_code": "Solved (Permanently)",
    "close_notes": "{{message}}",
}
TABLE_URL = re.compile(r"/api/now/(v\d+/)?table/[^/]+/?$")


class ServiceNowOptions(BaseModel):
    """The ServiceNow keys of a ``webhook:`` block."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resolve: TemplateTree = Field(
        DEFAULT_RESOLVE,
        validate_default=True,
        description="fields set on the incident at recovery",
    )


class ServiceNowDialect(WebhookDialect):
    name = "servicenow"
    options_model = ServiceNowOptions

    def matches(self, url: str) -> bool:
        return TABLE_URL.search(url) is not None

    async def send(
        self, notifier: WebhookSender, notification: Notification, body: Any
    ) -> Receipt:
        if notification.reference is None:
            response = await notifier.request(
                notifier.method, notifier.url, json_body=body, headers=notifier.headers
            )
            result = _result(response.json() if response.content else None)
            sys_id, number = result.get("sys_id"), result.get("number", "?")
            if not isinstance(sys_id, str):
                raise DeliveryError(
                    "ServiceNow answered without result.sys_id", permanent=True
                )
            return Receipt(f"incident {number} created", sys_id)
        resolve = _resolve_fields(notifier)
        if notification.variables.get("status") == "online" and isinstance(body, dict) and resolve:
            body = {**body, **render_tree(resolve, notification.variables)}
        url = f"{notifier.url.rstrip('/')}/{notification.reference}"
        response = await notifier.request(
            "PATCH", url, json_body=body, headers=notifier.headers
        )
        number = _result(response.json() if response.content else None).get(
            "number", notification.reference
        )
        return Receipt(f"incident {number} updated", notification.reference)

    def error_message(self, document: Any) -> str | None:
        error = document.get("error") if isinstance(document, dict) else None
        if isinstance(error, dict) and "message" in error:
            detail = error.get("detail")
            return f"{error['message']}: {detail}" if detail else str(error["message"])
        return None


def _resolve_fields(notifier: WebhookSender) -> Any:
    options = notifier.dialect_options
    return options.resolve if isinstance(options, ServiceNowOptions) else DEFAULT_RESOLVE


def _result(document: Any) -> dict[str, Any]:
    result = document.get("result") if isinstance(document, dict) else None
    return result if isinstance(result, dict) else {}
