"""Why a connection attempt failed, in the few words a dashboard cell or an alert can hold.

The operating system's texts ("[Errno 111] Connect call failed ('10.0.0.5', 502)") repeat
what the dashboard already shows and hide the one fact that matters, so they are reduced to
that fact here, in one place, so every probe words the same failure the same way.
"""

from __future__ import annotations

import errno
import os
import socket

_CONNECT_ERRORS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "no route to host",
    errno.ETIMEDOUT: "connection timed out",
}
_UNKNOWN_NAME_ERRORS = {socket.EAI_NONAME, socket.EAI_NODATA}


def describe_connect_error(error: OSError) -> str:
    """``connection refused``, ``no route to host``, ...: the reason, without the address."""
    if error.errno is None:
        return str(error) or type(error).__name__
    return _CONNECT_ERRORS.get(error.errno) or os.strerror(error.errno).lower()


def describe_lookup_error(error: socket.gaierror, host: str) -> str:
    """Tells a name that does not exist from a name server that did not answer."""
    if error.errno in _UNKNOWN_NAME_ERRORS:
        return f"host not found: {host}"
    if error.errno == socket.EAI_AGAIN:
        return f"name lookup failed: {host} (DNS did not answer)"
    return f"name lookup failed: {host} ({error.strerror})"
