"""ServiceNow Table API: one incident per outage.

The first message of an outage POSTs to the table URL (``.../api/now/table/incident``) and
keeps the answer's ``result.sys_id`` as the receipt's reference; later messages of the same
outage (reminders, the recovery) PATCH ``.../incident/{sys_id}``; the recovery also sets the
``resolve`` fields (Resolved, by default), so the incident opened is the incident closed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pulse_core.contract import DeliveryError, Notification, Receipt, render_tree

if TYPE_CHECKING:
    from pulse_notify_webhook.notifier import WebhookNotifier


async def send(
    notifier: WebhookNotifier, notification: Notification, body: Any
) -> Receipt:
    options = notifier.options
    if notification.reference is None:
        response = await notifier.request(
            options.method, options.url, json_body=body, headers=options.headers
        )
        result = _result(response.json() if response.content else None)
        sys_id, number = result.get("sys_id"), result.get("number", "?")
        if not isinstance(sys_id, str):
            raise DeliveryError(
                "ServiceNow answered without result.sys_id", permanent=True
            )
        return Receipt(f"incident {number} created", sys_id)
    if (
        notification.variables.get("status") == "online"
        and isinstance(body, dict)
        and options.resolve
    ):
        body = {**body, **render_tree(options.resolve, notification.variables)}
    url = f"{options.url.rstrip('/')}/{notification.reference}"
    response = await notifier.request(
        "PATCH", url, json_body=body, headers=options.headers
    )
    number = _result(response.json() if response.content else None).get(
        "number", notification.reference
    )
    return Receipt(f"incident {number} updated", notification.reference)


def _result(document: Any) -> dict[str, Any]:
    result = document.get("result") if isinstance(document, dict) else None
    return result if isinstance(result, dict) else {}
