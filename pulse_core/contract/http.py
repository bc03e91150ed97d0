"""The base of notifiers that speak HTTP: guarded requests and replies turned into outcomes.

``HttpNotifier`` gives a subclass one pooled ``httpx.AsyncClient`` (opened in ``start``,
closed in ``close``; its connections are kept alive and shared by the notifier's concurrent
deliveries) and :meth:`HttpNotifier.request`, which checks the destination with the
outbound policy before connecting, never follows redirects, and turns transport failures
and unsuccessful replies into :class:`~pulse_core.notifier.DeliveryError`:

- 429 is rate limiting: the notifier pauses for ``Retry-After``;
- 408, 425 and 5xx are passing (retried, ``Retry-After`` honoured);
- 3xx is permanent, naming the ``Location`` (redirects are not followed, see ``outbound``);
- other 4xx are permanent (a bad token, a payload refused) and carry the receiver's words;
- a certificate that is not trusted is permanent, named with its subject (see ``trust``).

The client trusts the system's CAs, ``outbound.ca_file`` and the notifier's own ``ca_file``
(an options model with a ``ca_file: CaFile | None`` field gets it).

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
import time
from collections.abc import Mapping
from typing import Any

import httpx

from pulse_core.contract.excerpts import ERROR_EXCERPT_CHARS, excerpt
from pulse_core.contract.trust import certificate_refusal
from pulse_core.notifier import DeliveryError, Notifier

#: Seconds to connect and to wait for a reply; the core's own delivery timeout bounds the whole.
HTTP_TIMEOUT_S = 20.0
#: Connections one notifier keeps open to its receiver (above ``alerting.concurrency``).
MAX_CONNECTIONS = 64
_PASSING_STATUSES = frozenset({408, 425})
_RATE_LIMITED = 429


class HttpNotifier(Notifier):
    """A notifier whose receiver is an HTTP endpoint."""

    _client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            verify=self.outbound.tls_context(getattr(self.options, "ca_file", None)),
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
            refusal = certificate_refusal(_host_port(url), error)
            if refusal is not None:
                raise refusal from None
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


def _host_port(url: str) -> str:
    """``host:port`` of ``url``, naming the receiver in a message without its secrets."""
    parts = httpx.URL(url)
    return f"{parts.host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


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
