"""Refusing writes another site makes with the browser's session cookie (CSRF).

``SameSite=Lax`` keeps the cookie off requests from other *sites*, but a page of the same
site (another port of the host, another server under the plant's domain) still gets it sent.
So every request that could rely on the cookie and changes something (POST, PUT, PATCH,
DELETE), and every WebSocket opened with it (not with a key in ``?token=``), must come from a
page of Pulse itself: its ``Origin`` (or, without one,
its ``Referer``) must name the host and port the request was sent to (``Host``), and
``https`` when Pulse speaks TLS itself. A request
naming neither is let through: every current browser sends ``Origin`` with these requests,
so only programs omit both.

A write must also declare a content type its route reads (:func:`accepts`, JSON unless the
route says otherwise), or carry no body at all. An HTML form can only send
``application/x-www-form-urlencoded``, ``multipart/form-data`` or ``text/plain`` without the
browser first asking Pulse's permission (a CORS preflight, which Pulse never grants), so
none of those is accepted from a browser.

HTTP Basic credentials count as the cookie: a browser that signed in with them once adds
them by itself to every later request to Pulse, another site's included. Only callers with
an API key (``Authorization: Bearer``) are not checked: a browser never adds that header to a
request another site makes.
"""

from __future__ import annotations

from typing import Callable, TypeVar
from urllib.parse import urlsplit

from quart.wrappers import BaseRequestWebsocket, Websocket

from pulse_core.contract.api_errors import ApiError

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
ACCEPTS_ATTRIBUTE = "pulse_accepts"

View = TypeVar("View", bound=Callable[..., object])


def accepts(*media_types: str) -> Callable[[View], View]:
    """The content types the route reads from a browser (JSON when a route does not say)."""

    def mark(view: View) -> View:
        setattr(view, ACCEPTS_ATTRIBUTE, media_types)
        return view

    return mark


def may_carry_browser_credentials(connection: BaseRequestWebsocket) -> bool:
    """Whether this connection could be a browser's, made on another page's behalf with the
    cookie or cached HTTP Basic credentials: any without an API key (the guard also leaves
    out push connections with a key in ``?token=``)."""
    scheme = connection.headers.get("Authorization", "").strip().partition(" ")[0]
    if scheme.lower() == "bearer":
        return False
    return isinstance(connection, Websocket) or connection.method in STATE_CHANGING


def check_same_origin(connection: BaseRequestWebsocket, view: object) -> None:
    """Raise a 403 for a connection from another origin, a 415 for a body its route does
    not read; call it for connections :func:`may_carry_browser_credentials`."""
    _check_origin(connection)
    if not isinstance(connection, Websocket):
        _check_content_type(connection, getattr(view, ACCEPTS_ATTRIBUTE, JSON_TYPES))


def _check_origin(connection: BaseRequestWebsocket) -> None:
    header, claimed = "Origin", connection.headers.get("Origin")
    if claimed is None:
        header, claimed = "Referer", connection.headers.get("Referer")
    if not claimed:
        return
    own = connection.headers.get("Host", "").lower()
    parts = urlsplit(claimed)
    # Over Pulse's own TLS the page must be https too: a plain page claiming the same host
    # and port can only come from someone between the browser and Pulse. Behind a proxy
    # that ends TLS the request arrives as http and either page scheme is Pulse's.
    schemes = ("https",) if _scheme(connection) == "https" else ("http", "https")
    if parts.scheme in schemes and parts.netloc.lower() == own:
        return
    raise ApiError(
        403,
        f"cross-site request refused: it comes from {claimed!r} ({header}), not from a page of "
        f"this Pulse ({own}). Use Pulse's own pages, or send an API key "
        "('Authorization: Bearer <key>') instead of the session cookie; behind a reverse "
        "proxy, pass the browser's Host header on to Pulse",
    )


def _scheme(connection: BaseRequestWebsocket) -> str:
    """``https`` for a request or a WebSocket (``wss``) that came over Pulse's own TLS."""
    return "https" if connection.scheme in ("https", "wss") else "http"


def _check_content_type(connection: BaseRequestWebsocket, accepted: tuple[str, ...]) -> None:
    mimetype = connection.mimetype
    if not mimetype and not _has_body(connection):
        return
    if mimetype in accepted:
        return
    raise ApiError(
        415,
        f"{connection.method} {connection.path} from a browser takes a body of type "
        f"{' or '.join(accepted)}, not {mimetype or 'one without Content-Type'} (a program "
        "sending an API key is not held to this)",
    )


def _has_body(connection: BaseRequestWebsocket) -> bool:
    if "chunked" in connection.headers.get("Transfer-Encoding", "").lower():
        return True
    return bool(connection.content_length)
