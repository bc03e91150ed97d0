"""``splunk``: events to a Splunk HTTP Event Collector.

``mode: changes`` (the default) sends one event per notification routed here, through the
durable outbox like every notifier. ``mode: checks`` sends every check instead (fed by the
``pulse_checks_stored`` hook, see :mod:`pulse_notify_splunk.stream`); a status change is then
not sent on its own, since the check that made it is already among the events, and a
duplicate would skew what Splunk counts. Test messages are always sent.

HEC replies ``{"text", "code"}``: 0 is success; 2/3 (401) and 4 (403) are a missing or
invalid token, 5/6/7 (400) no data, a bad format or an index the token may not write: all
permanent, reported with HEC's words and a hint. 9 (503, server busy), 429 and other 5xx are
retried. Without indexer acknowledgement, code 0 means received, not yet indexed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx
from pydantic import BaseModel

from pulse_core.contract import (
    ERROR_EXCERPT_CHARS,
    CheckResult,
    DeliveryError,
    Endpoint,
    HttpNotifier,
    Notification,
    OutboundPolicy,
    Receipt,
    excerpt,
)
from pulse_notify_splunk.events import batch_body, check_event, notification_event
from pulse_notify_splunk.options import SplunkOptions
from pulse_notify_splunk.stream import CheckStream

_HINTS = {
    2: "set splunk.token",
    3: "splunk.token must be a HEC token",
    4: "check splunk.token",
    7: "check splunk.index: the token may not write to it",
}


class SplunkNotifier(HttpNotifier):
    type_name = "splunk"
    options_model = SplunkOptions
    options: SplunkOptions

    def __init__(self, name: str, options: BaseModel, outbound: OutboundPolicy) -> None:
        super().__init__(name, options, outbound)
        self._stream: CheckStream | None = None

    @property
    def streams_checks(self) -> bool:
        return self.options.enabled and self.options.mode == "checks"

    async def start(self) -> None:
        await super().start()
        if self.streams_checks and self._stream is None:
            self._stream = CheckStream(self.name, self.send_events)
            self._stream.start()

    async def close(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.close()
        await super().close()

    def take_checks(
        self,
        checks: Sequence[CheckResult],
        endpoint_of: Callable[[str], Endpoint | None],
    ) -> None:
        """Queue the events of written checks (``mode: checks``; ignored otherwise)."""
        if self._stream is None:
            return
        events = []
        for check in checks:
            endpoint = endpoint_of(check.endpoint_id)
            if endpoint is not None:
                events.append(check_event(self.options, check, endpoint))
        self._stream.add(events)

    async def deliver(self, notification: Notification) -> Receipt:
        if not self.options.enabled:
            return Receipt("not sent: splunk.enabled is false")
        if self.options.mode == "checks" and notification.kind != "test":
            return Receipt(
                "not sent on its own: mode checks sends the check that made it"
            )
        return await self.send_events(
            [notification_event(self.options, notification.variables)]
        )

    async def send_events(self, events: list[dict[str, Any]]) -> Receipt:
        """POST ``events`` as one batch; raise :class:`DeliveryError` unless HEC says code 0."""
        body, headers = batch_body(events)
        response = await self.request(
            "POST",
            self.options.hec_url,
            content=body,
            headers={**headers, "Authorization": f"Splunk {self.options.token}"},
        )
        text, code = _hec_reply(response)
        if code not in (0, None):
            raise DeliveryError(
                f"HTTP {response.status_code}: {excerpt(_explain(text, code))}",
                permanent=True,
            )
        answer = f"HEC code {code}" if code is not None else f"HTTP {response.status_code}"
        count = f"{len(events)} event{'s' * (len(events) != 1)}"
        return Receipt(f"{count} sent, {answer}: {text or 'Success'}")

    def error_message(self, response: httpx.Response) -> str:
        text, code = _hec_reply(response)
        if code is None:
            return super().error_message(response)
        return _explain(text, code)[:ERROR_EXCERPT_CHARS]


def _hec_reply(response: httpx.Response) -> tuple[str, int | None]:
    """HEC's ``text`` and ``code``; code None when the reply is not HEC's JSON."""
    try:
        document = response.json()
    except ValueError:
        return response.text.strip(), None
    if not isinstance(document, dict) or not isinstance(document.get("code"), int):
        return response.text.strip(), None
    return str(document.get("text", "")), document["code"]


def _explain(text: str, code: int) -> str:
    hint = _HINTS.get(code)
    return f"{text} (HEC code {code})" + (f": {hint}" if hint else "")
