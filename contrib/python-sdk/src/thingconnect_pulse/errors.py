"""What the clients raise: one base class, and the API's refusals by HTTP status.

Every refusal carries the API's own ``message`` (``"endpoint 'x' not found"``,
``"the endpoint is not valid: port: port is required for tcp targets"``) and, where the
status alone tells what to do about it, a ``hint`` (``check the username and password...``),
so printing the exception tells a script's user what to fix.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import httpx


class PulseError(Exception):
    """Anything that went wrong talking to Pulse."""


class PulseConnectionError(PulseError):
    """Pulse could not be reached, or the connection broke before an answer."""


class CredentialsRevokedError(PulseError):
    """Pulse ended the live stream because the credentials it was opened with stopped
    holding: the API key was revoked, the user deactivated or signed out, or the password
    changed (WebSocket close 1008). Reconnecting with them is refused, so a subscription
    ends with this error instead of retrying."""


class InsecureTLSWarning(UserWarning):
    """Certificate verification is off (``verify=False``): anyone on the network path can
    pose as Pulse and read the credentials the client sends."""


class PulseAPIError(PulseError):
    """Pulse answered with an error status. ``body`` holds the whole JSON error, whose
    ``errors`` list (when present) names each invalid field; ``retry_after_s`` is the wait
    the server asked for in ``Retry-After`` (rate limits, locked usernames)."""

    #: what to do about a refusal of this kind, when the status alone tells
    hint: str | None = None

    def __init__(
        self,
        status_code: int,
        message: str,
        body: dict[str, Any],
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.body = body
        self.retry_after_s = retry_after_s

    def __str__(self) -> str:
        said = f"{self.message} (HTTP {self.status_code})"
        return f"{said}: {self.hint}" if self.hint else said


class BadRequestError(PulseAPIError):
    """400: a parameter or the body is invalid."""


class AuthenticationError(PulseAPIError):
    """401: no credentials, or wrong ones."""

    hint = "check the username and password, or the API key, given to the client"


class PermissionDeniedError(PulseAPIError):
    """403: the user or API key has too low a role (viewer, editor, admin)."""

    hint = "sign in as a user, or with an API key, of the role the message names"


class NotFoundError(PulseAPIError):
    """404: no such endpoint, group or version."""

    hint = "check the id: get_live_status() lists every endpoint with its id"


class ConflictError(PulseAPIError):
    """409: the change cannot be made as asked (e.g. an endpoint that is part of a range)."""


class RateLimitedError(PulseAPIError):
    """429: too many requests, or a username locked after wrong passwords."""

    @property
    def hint(self) -> str:  # type: ignore[override]
        wait = f"{self.retry_after_s:g} s" if self.retry_after_s is not None else "a while"
        return f"wait {wait} (retry_after_s) before trying again"


_BY_STATUS: dict[int, type[PulseAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitedError,
}


def unreachable(base_url: str, error: Exception) -> PulseConnectionError:
    """The error for a request or WebSocket that got no answer, saying what to check."""
    detail = str(error) or type(error).__name__
    if "CERTIFICATE_VERIFY_FAILED" in detail:
        return PulseConnectionError(
            f"cannot reach Pulse at {base_url}: its TLS certificate is not trusted ({detail}); "
            "give the client verify='/path/to/ca.pem', the certificate of the CA that signed it"
        )
    return PulseConnectionError(
        f"cannot reach Pulse at {base_url}: {detail}; check the address and that Pulse runs"
    )


def api_error(response: httpx.Response) -> PulseAPIError:
    """The exception for an error answer; the response's body must have been read."""
    return refusal(
        response.status_code, response.content, response.headers.get("Retry-After")
    )


def refusal(status_code: int, content: bytes, retry_after: str | None) -> PulseAPIError:
    """The exception for an error status with this body, whichever client received it (an
    HTTP request, or a refused WebSocket handshake)."""
    try:
        body = json.loads(content)
    except ValueError:  # not JSON: a proxy's error page, say
        body = None
    if not isinstance(body, dict):
        body = {}
    message = body.get("message") or f"HTTP {status_code} {_phrase(status_code)}"
    error_class = _BY_STATUS.get(status_code, PulseAPIError)
    return error_class(status_code, str(message), body, _seconds(retry_after))


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return ""


def _seconds(retry_after: str | None) -> float | None:
    """``Retry-After`` in seconds; Pulse never sends the HTTP-date form."""
    try:
        return float(retry_after) if retry_after is not None else None
    except ValueError:
        return None
