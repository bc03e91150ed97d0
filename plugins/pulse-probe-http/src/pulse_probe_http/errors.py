"""Why a request failed, in the few words a dashboard cell or an alert can hold.

The error that matters (a refused connection, an unknown name, a certificate the device's
self-signed cert fails) may be wrapped; the chain of causes is searched for it, and
connection errors are worded like the tcp probe's.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

from pulse_core.contract import describe_connect_error, describe_lookup_error


def describe_request_error(error: Exception, host: str) -> str:
    for cause in _causes(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS error: certificate verify failed ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            reason = (cause.reason or type(cause).__name__).replace("_", " ").lower()
            return f"TLS error: {reason}"
        if isinstance(cause, socket.gaierror):
            return describe_lookup_error(cause, host)
        if isinstance(cause, OSError) and cause.errno is not None:
            return describe_connect_error(cause)
    return _first_line(error)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what led to it, outermost first (``raise ... from None`` ends the chain)."""
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)


def _first_line(error: Exception) -> str:
    """Messages that are sentences ("Server disconnected.") are shown the way the other
    errors are: lower case, no full stop."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return (text[:1].lower() + text[1:]).rstrip(".")
