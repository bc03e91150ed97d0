"""How an OPC UA failure is worded on a dashboard: the fact a person acts on, not the stack's
text (``An error occurred verifying security.(BadSecurityChecksFailed)``)."""

from __future__ import annotations

import socket

from asyncua import ua

from pulse_core.contract import describe_connect_error, describe_lookup_error

#: Status codes a server answers when it does not accept Pulse's client certificate: real
#: servers use the first one while opening the secure channel, others the later ones when
#: the session is created. The fix is the same: trust the certificate on the server.
_REFUSED_CERTIFICATE = {
    ua.StatusCodes.BadSecurityChecksFailed,
    ua.StatusCodes.BadCertificateUntrusted,
    ua.StatusCodes.BadCertificateInvalid,
    ua.StatusCodes.BadCertificateRevoked,
    ua.StatusCodes.BadCertificateUriInvalid,
    ua.StatusCodes.BadCertificateUseNotAllowed,
    ua.StatusCodes.BadCertificateTimeInvalid,
}
_STATUS_WORDING = {
    ua.StatusCodes.BadTooManySessions: "the server has no session left for Pulse",
    ua.StatusCodes.BadIdentityTokenRejected: "the server refused an anonymous session",
    ua.StatusCodes.BadIdentityTokenInvalid: "the server refused an anonymous session",
    ua.StatusCodes.BadServerHalted: "the server is halted",
    ua.StatusCodes.BadShutdown: "the server is shutting down",
    ua.StatusCodes.BadSecurityPolicyRejected: "the server does not offer this security policy",
}


def describe_status(code: int) -> str:
    """A service or session failure, named by its status code."""
    if code in _REFUSED_CERTIFICATE:
        return "the server refused our certificate"
    return _STATUS_WORDING.get(code) or status_name(code)


def describe_node_status(code: int, node: str) -> str:
    """A node that could not be read; the node id says which of several it was."""
    if code in (ua.StatusCodes.BadNodeIdUnknown, ua.StatusCodes.BadNodeIdInvalid):
        return f"no node {node}"
    return f"{node}: {status_name(code)}"


def status_name(code: int) -> str:
    return ua.StatusCode(code).name


def describe_error(error: Exception, host: str) -> str:
    """Any failure of opening a session or of a read, in a few words."""
    if isinstance(error, ua.UaStatusCodeError):
        return describe_status(error.code)
    if isinstance(error, socket.gaierror):
        return describe_lookup_error(error, host)
    if isinstance(error, OSError) and error.errno is not None:
        return describe_connect_error(error)
    if isinstance(error, ConnectionError | EOFError):
        return "connection lost"
    if isinstance(error, UnicodeError):  # the IDNA codec rejects the name before any lookup
        return f"invalid host name: {host}"
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"OPC UA error: {text}"[:120]
