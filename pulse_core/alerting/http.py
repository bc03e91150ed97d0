"""The base of notifiers that speak HTTP: guarded requests and replies turned into outcomes.

``HttpNotifier`` gives a subclass one pooled ``httpx.AsyncClient`` (opened in ``start``,
closed in ``close``; its connections are kept alive and shared by the notifier's concurrent
deliveries) and :meth:`HttpNotifier.request`, which checks the destination with the
outbound policy before connecting, never follows redirects, and turns transport failures
and unsuccessful replies into :class:`~pulse_core.notifier.DeliveryError`:

- 429 is rate limiting: the notifier pauses for ``Retry-After``;
- 408, 425 and 5xx are passing (retried, ``Retry-After`` honoured);
- 3xx is permanent, naming the ``Location`` (redirects are not followed, see ``outbound``);
- other 4xx are permanent (a bad token, a payload refused) and carry the receiver's words.

An error names the status and its reason phrase (``HTTP 500 Internal Server Error``) and at
most :data:`ERROR_EXCERPT_CHARS` of what the receiver said, on one line without control
characters: the message is stored, logged and shown by the API, and a receiver's body may
be anything (an HTML page, a stack trace, terminal escapes).

Subclasses parse successful replies themselves (a ServiceNow ``sys_id``, Slack's ``ok``)
and may give :meth:`error_message` a better reading of their receiver's error bodies.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any

import httpx

from pulse_core.notifier import DeliveryError, Notifier

#: Seconds to connect and to wait for a reply; the core's own delivery timeout bounds the whole.
HTTP_TIMEOUT_S = 20.0
#: How much of a receiver's error body goes into a message.
ERROR_EXCERPT_CHARS = 160
#: Connections one notifier keeps open to its receiver (above ``alerting.concurrency``).
MAX_CONNECTIONS = 64
_PASSING_STATUSES = frozenset({408, 425})
_RATE_LIMITED = 429
#: Terminal escape sequences (CSI such as colours, OSC such as titles), then C0 and C1
#: controls, DEL and the Unicode line and bidi controls: nothing that can move a cursor,
#: break a log line or reorder text survives an excerpt.
_CONTROLS = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+"
)


class HttpNotifier(Notifier):
    """A notifier whose receiver is an HTTP endpoint."""

    _client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=HTTP_TIMEOUT_S,
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS,
                max_keepalive_connections=MAX_CONNECTIONS,
            ),
        )

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
                f"{status_line(response)}: the receiver redirects to {excerpt(location)}; "
                "redirects are not followed, configure the final URL",
                permanent=True,
            )
        message = status_line(response)
        said = excerpt(self.error_message(response))
        if said and said != _standard_reason(response):
            message += f": {said}"
        if status == _RATE_LIMITED:
            return DeliveryError(
                message, retry_after_s=retry_after_s(response), rate_limited=True
            )
        if status in _PASSING_STATUSES or status >= 500:
            return DeliveryError(message, retry_after_s=retry_after_s(response))
        return DeliveryError(message, permanent=True)

    def error_message(self, response: httpx.Response) -> str:
        """What the receiver said (shortened and cleaned by :meth:`failure`); override to
        read a known error format."""
        return response.text


def status_line(response: httpx.Response) -> str:
    """``HTTP 500 Internal Server Error``: the status and its standard reason phrase (not
    the receiver's, which may say anything)."""
    return f"HTTP {response.status_code} {_standard_reason(response)}".rstrip()


def _standard_reason(response: httpx.Response) -> str:
    return httpx.codes.get_reason_phrase(response.status_code)


def excerpt(text: str, limit: int = ERROR_EXCERPT_CHARS) -> str:
    """``text`` on one line, controls removed, at most ``limit`` characters (``…`` when cut)."""
    cleaned = " ".join(_CONTROLS.sub(" ", text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


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
