"""Browser sessions, kept in the store: the cookie carries only a random token.

A session is a row (``UserSession``) found by the SHA-256 of the token, so ending it is
deleting the row: signing out ends this browser's session at once, a new password or a
deactivation deletes all of the user's sessions (``Store.update_user(end_sessions=True)``),
and a copied cookie stops working with them. A session that is not used for ``IDLE_LIFETIME``
expires, and none lasts longer than ``MAX_LIFETIME`` from signing in; expired rows are pruned
whenever someone signs in, the only time rows are added.

The cookie is ``HttpOnly`` and ``SameSite=Lax``; ``Secure`` follows ``server.secure_cookies``
(see :func:`cookie_is_secure`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta
from functools import partial

from quart import Response, after_this_request, request
from quart.wrappers import BaseRequestWebsocket

from pulse_core.accounts import User, UserSession
from pulse_core.config.model import SecureCookies
from pulse_core.store import Store

COOKIE_NAME = "pulse_session"
#: A session not used for this long has expired.
IDLE_LIFETIME = timedelta(days=7)
#: No session lasts longer than this from signing in, however often it is used.
MAX_LIFETIME = timedelta(days=30)
#: ``last seen`` (and with it the expiry) is written at most this often, not on every request.
TOUCH_RESOLUTION_S = 60.0
_TOKEN_BYTES = 32


def session_id(token: str) -> str:
    """The store's id of the session whose cookie holds ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


def expiry(created_ts: float, seen_ts: float) -> float:
    return min(
        seen_ts + IDLE_LIFETIME.total_seconds(), created_ts + MAX_LIFETIME.total_seconds()
    )


def cookie_is_secure(setting: SecureCookies, scheme: str) -> bool:
    """``auto`` marks the cookie ``Secure`` when this request came over TLS; behind a proxy
    that ends TLS the request arrives as plain HTTP, and ``true`` says so."""
    if setting == "auto":
        return scheme in ("https", "wss")
    return setting


async def start_session(store: Store, user: User, secure: SecureCookies) -> UserSession:
    """Sign ``user`` in on this browser: a new session, its cookie set on the response."""
    now = time.time()
    await store.prune_sessions(now)
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    started = UserSession(session_id(token), user.id, now, now, expiry(now, now))
    await store.add_session(started)
    after_this_request(partial(_set_cookie, token, cookie_is_secure(secure, request.scheme)))
    return started


async def end_session(store: Store, ended: UserSession | None) -> None:
    """Sign this browser out: its session ends in the store and its cookie is removed."""
    if ended is not None:
        await store.end_session(ended.id)
    after_this_request(_remove_cookie)


async def live_session(store: Store, token: str) -> UserSession | None:
    """The unexpired session this cookie token belongs to, its last use recorded."""
    found = await store.session(session_id(token))
    now = time.time()
    if found is None or found.expires_ts <= now:
        return None
    if now - found.last_seen_ts >= TOUCH_RESOLUTION_S:
        await store.touch_session(found.id, now, expiry(found.created_ts, now))
    return found


def session_token(connection: BaseRequestWebsocket) -> str | None:
    """The token the cookie of ``connection`` carries, if any."""
    return connection.cookies.get(COOKIE_NAME) or None


async def _set_cookie(token: str, secure: bool, response: Response) -> Response:
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=MAX_LIFETIME,
        path="/",
        secure=secure,
        httponly=True,
        samesite="Lax",
    )
    return response


async def _remove_cookie(response: Response) -> Response:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Lax")
    return response
