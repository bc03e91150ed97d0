"""The check in front of every route: who is calling, may they, and not too often.

Installed as a ``before_request`` and a ``before_websocket`` hook. It reads the role a view
needs with :func:`~pulse_core.web.access.needed_role`, identifies the caller, and lets the
request through with the caller in ``g.principal`` (and ``g.caller``), or answers 401 (no
valid credentials), 403 (a role too low, or a browser write from another origin: see
:mod:`~pulse_core.web.auth.csrf`) or 429 (too many requests).

Credentials, first found wins: an ``Authorization`` header (``Bearer <api key>`` or HTTP
Basic), ``?token=<api key>`` on the push routes only (browsers' ``EventSource`` and
``WebSocket`` cannot set headers; elsewhere a key in a URL would end up in logs and
histories), then the session cookie.
"""

from __future__ import annotations

import base64
import binascii
import math

from quart import Quart, current_app, g, request, websocket
from quart.wrappers import BaseRequestWebsocket

from pulse_core.contract.api_errors import ApiError
from pulse_core.web.access import needed_role
from pulse_core.web.auth.callers import (
    Caller,
    caller_from_api_key,
    caller_from_session,
    user_caller,
    user_with_password,
)
from pulse_core.web.auth.context import AuthContext, auth_context
from pulse_core.web.auth.csrf import check_same_origin, may_carry_browser_credentials
from pulse_core.web.auth.sessions import session_token

#: The push routes, where an API key may come as ``?token=``.
TOKEN_PATHS = frozenset({"/api/ws/status", "/api/events/status"})
#: Routes no rate limit applies to: load balancers poll health as often as they like.
UNLIMITED_PATHS = frozenset({"/api/health"})
CHALLENGE = 'Basic realm="pulse", Bearer'


def unauthorized(message: str) -> ApiError:
    error = ApiError(401, message)
    error.headers["WWW-Authenticate"] = CHALLENGE
    return error


NOT_SIGNED_IN = (
    "sign in first: send a session cookie (POST /api/auth/login), HTTP Basic credentials "
    "or 'Authorization: Bearer <api key>'"
)
INVALID_KEY = "the API key is not valid: it was revoked or mistyped, or its owner deactivated"
WRONG_PASSWORD = "wrong username or password"


def _basic_credentials(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    username, colon, password = decoded.partition(":")
    if not colon:
        raise unauthorized("malformed HTTP Basic credentials: expected base64 of user:password")
    return username, password


async def _from_authorization(context: AuthContext, header: str) -> Caller:
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        caller = await caller_from_api_key(context, value)
        if caller is None:
            raise unauthorized(INVALID_KEY)
        return caller
    if scheme.lower() == "basic":
        username, password = _basic_credentials(value)
        user = await user_with_password(context, username, password)
        if user is None:
            raise unauthorized(WRONG_PASSWORD)
        return user_caller(user)
    raise unauthorized(
        f"unsupported Authorization scheme {scheme!r}: use 'Bearer <api key>' or HTTP Basic"
    )


def url_token(connection: BaseRequestWebsocket) -> str | None:
    """The API key in ``?token=``, on the routes that take one there."""
    return connection.args.get("token") if connection.path in TOKEN_PATHS else None


async def identify(context: AuthContext, connection: BaseRequestWebsocket) -> Caller:
    """The caller of ``connection``; raises a 401 when there is none or its credentials fail."""
    authorization = connection.headers.get("Authorization")
    if authorization:
        return await _from_authorization(context, authorization)
    token = url_token(connection)
    if token:
        caller = await caller_from_api_key(context, token)
        if caller is None:
            raise unauthorized(INVALID_KEY)
        return caller
    cookie = session_token(connection)
    if cookie is None:
        raise unauthorized(NOT_SIGNED_IN)
    session_caller = await caller_from_session(context, cookie)
    if session_caller is None:
        raise unauthorized(
            "your session has ended (signed out, expired, or password changed); sign in again"
        )
    return session_caller


def _take_token(context: AuthContext, connection: BaseRequestWebsocket, who: str) -> None:
    if connection.path in UNLIMITED_PATHS:
        return
    wait_s = context.limiter.wait_seconds(who)
    if wait_s is not None:
        error = ApiError(
            429, "too many requests: slow down and retry after the time in Retry-After"
        )
        error.headers["Retry-After"] = str(max(1, math.ceil(wait_s)))
        raise error


async def check_access(connection: BaseRequestWebsocket) -> None:
    view = current_app.view_functions.get(connection.endpoint or "")
    if view is None:  # no route matched: the 404 or 405 follows
        return
    needed = needed_role(view, connection.path)
    context = auth_context()
    address = f"address:{connection.remote_addr}"
    from_browser = not url_token(connection) and may_carry_browser_credentials(connection)
    if needed is None:
        _take_token(context, connection, address)
        if from_browser:
            check_same_origin(connection, view)
        return
    try:
        caller = await identify(context, connection)
    except ApiError:
        _take_token(context, connection, address)
        raise
    principal = caller.principal
    _take_token(context, connection, f"{principal.kind}:{principal.id}")
    if from_browser:
        check_same_origin(connection, view)
    g.principal = principal
    g.caller = caller
    if not principal.role.allows(needed):
        raise ApiError(
            403, f"this needs the {needed} role or higher; {principal.name} is {principal.role}"
        )


def install_guard(app: Quart) -> None:
    @app.before_request
    async def guard_request() -> None:
        await check_access(request._get_current_object())  # type: ignore[attr-defined]

    @app.before_websocket
    async def guard_websocket() -> None:
        await check_access(websocket._get_current_object())  # type: ignore[attr-defined]
