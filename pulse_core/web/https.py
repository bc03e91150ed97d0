"""What serving HTTPS adds to the application, and the warning when Pulse serves without it.

Over TLS every response tells the browser to come back over https only
(``Strict-Transport-Security``); the header is never sent over plain HTTP, where an
attacker in the path could strip or forge it anyway. The optional plain HTTP listener
(``server.tls.redirect_http_port``) answers every request with a 308 to the same path
over https, so a bookmark or a typed ``http://`` address still arrives, method and body
kept (a 301 or 302 would turn a POST into a GET).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Awaitable, Callable

from pulse_core.config.model import ServerSection

HSTS = b"max-age=31536000"
#: a Host header's host part Pulse puts back into a redirect: a DNS name, IPv4 or [IPv6]
_HOST = re.compile(r"(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d+)?")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def https_only(app: ASGIApp, https_port: int) -> ASGIApp:
    """``app`` as served with TLS: https responses carry HSTS; a plain HTTP request (from
    the redirect listener) gets a 308 to ``https_port``; a WebSocket asked for over plain
    HTTP is refused (clients do not follow redirects there)."""

    async def served(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["scheme"] == "http":
            await _send_redirect(send, https_url(scope, https_port))
        elif scope["type"] == "websocket" and scope["scheme"] == "ws":
            await send({"type": "websocket.close", "code": 1008})
        elif scope["type"] == "http":
            await app(scope, receive, _with_hsts(send))
        else:
            await app(scope, receive, send)

    return served


def _with_hsts(send: Send) -> Send:
    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", ()), (b"strict-transport-security", HSTS)]
            message = {**message, "headers": headers}
        await send(message)

    return sending


def https_url(scope: Scope, https_port: int) -> str:
    """The https URL of the request in ``scope``: the host it asked for (its ``Host`` header,
    else the address it reached), ``https_port``, the same path and query."""
    headers = dict(scope.get("headers") or ())
    match = _HOST.fullmatch(headers.get(b"host", b"").decode("latin-1"))
    if match is not None:
        host = match["host"]
    else:
        address = scope["server"][0]
        host = f"[{address}]" if ":" in address else address
    port = "" if https_port == 443 else f":{https_port}"
    path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string") or b""
    target = path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
    return f"https://{host}{port}{target}"


async def _send_redirect(send: Send, location: str) -> None:
    body = f"Pulse is served over https: {location}\n".encode()
    await send({
        "type": "http.response.start",
        "status": 308,
        "headers": [
            (b"location", location.encode("latin-1")),
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ],
    })
    await send({"type": "http.response.body", "body": body})


def plain_http_warning(server: ServerSection) -> str | None:
    """Why serving ``server`` exposes passwords and keys, or ``None``: plain HTTP on an
    address other machines reach, with no proxy declared to end TLS in front
    (``secure_cookies: true`` says there is one)."""
    if server.tls is not None or server.secure_cookies is True or is_loopback(server.host):
        return None
    return (
        f"serving sign-in and API keys over plain HTTP on {server.host}:{server.port}: "
        "passwords, session cookies and API keys cross the network readable by anyone on "
        "the path. Turn on TLS with server.tls (certfile, keyfile; `pulse tls self-signed "
        "--out DIR` makes a first pair), or set server.host to 127.0.0.1 behind a proxy "
        "that ends TLS (then secure_cookies: true)"
    )


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback  # ::ffff:127.0.0.1 (Python 3.11 says no)
    return address.is_loopback
