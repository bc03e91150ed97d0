"""The base of notifiers that speak HTTP: guarded requests and replies turned into outcomes.

``HttpNotifier`` gives a subclass one pooled ``httpx.AsyncClient`` (opened in ``start``,
closed in ``close``) and :meth:`HttpNotifier.request`, which checks the destination with the
outbound policy before connecting, never follows redirects, and turns transport failures
and unsuccessful replies into :class:`~pulse_core.notifier.DeliveryError`:

- 429, 408, 425 and 5xx are passing (retried, ``Retry-After`` honoured);
- 3xx is permanent, naming the ``Location`` (redirects are not followed, see ``outbound``);
- other 4xx are permanent (a bad token, a payload refused) and carry the receiver's words.

Subclasses parse successful replies themselves (a ServiceNow ``sys_id``, Slack's ``ok``)
and may give :meth:`error_message` a better reading of their receiver's error bodies.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from pulse_core.notifier import DeliveryError, Notifier

#: Seconds to connect and to wait for a reply; the core's own delivery timeout bounds the whole.
HTTP_TIMEOUT_S = 20.0
#: How much of a receiver's error body goes into a message.
ERROR_EXCERPT_CHARS = 300
_PASSING_STATUSES = frozenset({408, 425, 429})


class HttpNotifier(Notifier):
    """A notifier whose receiver is an HTTP endpoint."""

    _client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S, follow_redirects=False)

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request after the outbound check; return a 2xx reply or raise
        :class:`DeliveryError`."""
        await self.outbound.check_url(url)
        if self._client is None:
            await self.start()
        assert self._client is not None
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        try:
            response = await self._client.request(
                method, url, content=content, headers=headers
            )
        except httpx.TimeoutException:
            raise DeliveryError(
                f"{self.name}: no reply within {HTTP_TIMEOUT_S:g} s"
            ) from None
        except httpx.TransportError as error:
            raise DeliveryError(
                f"{self.name}: cannot reach the receiver: {error}"
            ) from None
        if response.is_success:
            return response
        raise self.failure(response)

    def failure(self, response: httpx.Response) -> DeliveryError:
        """The :class:`DeliveryError` an unsuccessful ``response`` means."""
        status = response.status_code
        if response.is_redirect:
            location = response.headers.get("location", "?")
            return DeliveryError(
                f"HTTP {status}: the receiver redirects to {location}; redirects are not "
                "followed, configure the final URL",
                permanent=True,
            )
        message = f"HTTP {status}: {self.error_message(response)}"
        if status in _PASSING_STATUSES or status >= 500:
            return DeliveryError(message, retry_after_s=retry_after_s(response))
        return DeliveryError(message, permanent=True)

    def error_message(self, response: httpx.Response) -> str:
        """What the receiver said, shortened; override to read a known error format."""
        text = response.text.strip() or response.reason_phrase
        return text[:ERROR_EXCERPT_CHARS]


def retry_after_s(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
