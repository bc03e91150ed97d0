"""What the client raises: one base class, and the API's refusals by HTTP status.

Every refusal carries the API's own ``message`` (``"endpoint 'x' not found"``,
``"the endpoint is not valid: port: port is required for tcp targets"``), so printing the
exception tells a script's user what to fix.
"""

from __future__ import annotations

from typing import Any

import httpx


class PulseError(Exception):
    """Anything that went wrong talking to Pulse."""


class PulseConnectionError(PulseError):
    """Pulse could not be reached, or the connection broke before an answer."""


class PulseAPIError(PulseError):
    """Pulse answered with an error status. ``body`` holds the whole JSON error, whose
    ``errors`` list (when present) names each invalid field; ``retry_after_s`` is the wait
    the server asked for in ``Retry-After`` (rate limits, locked usernames)."""

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
        return f"{self.message} (HTTP {self.status_code})"


class BadRequestError(PulseAPIError):
    """400: a parameter or the body is invalid."""


class AuthenticationError(PulseAPIError):
    """401: no credentials, or wrong ones."""


class PermissionDeniedError(PulseAPIError):
    """403: the user or API key has too low a role (viewer, editor, admin)."""


class NotFoundError(PulseAPIError):
    """404: no such endpoint, group or version."""


class ConflictError(PulseAPIError):
    """409: the change cannot be made as asked (e.g. an endpoint that is part of a range)."""


class RateLimitedError(PulseAPIError):
    """429: too many requests, or a username locked after wrong passwords."""


_BY_STATUS: dict[int, type[PulseAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitedError,
}


def api_error(response: httpx.Response) -> PulseAPIError:
    """The exception for an error answer; the response's body must have been read."""
    try:
        body = response.json()
    except ValueError:  # not JSON: a proxy's error page, say
        body = None
    if not isinstance(body, dict):
        body = {}
    message = body.get("message") or f"HTTP {response.status_code} {response.reason_phrase}"
    error_class = _BY_STATUS.get(response.status_code, PulseAPIError)
    return error_class(
        response.status_code, str(message), body, _seconds(response.headers.get("Retry-After"))
    )


def _seconds(retry_after: str | None) -> float | None:
    """``Retry-After`` in seconds; Pulse never sends the HTTP-date form."""
    try:
        return float(retry_after) if retry_after is not None else None
    except ValueError:
        return None
