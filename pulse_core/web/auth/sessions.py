"""Browser sessions: Quart's signed cookie, holding a user id and that user's session version.

The cookie is signed with a secret made once and kept in the store, so sessions survive a
restart. Raising a user's session version (new password, deactivation) makes every cookie
issued before invalid at its next request: nothing to look up in a session table.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from quart import Quart, session

from pulse_core.accounts import User
from pulse_core.store import Store

SECRET_SETTING = "session_secret"
COOKIE_NAME = "pulse_session"
LIFETIME = timedelta(days=7)
_USER = "user"
_VERSION = "version"


def configure_session_cookie(app: Quart, store: Store) -> None:
    """Cookie flags now; the signing secret once the server starts (it needs the store)."""
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=LIFETIME,
    )

    @app.before_serving
    async def load_secret() -> None:
        app.secret_key = await store.setting(SECRET_SETTING) or await store.add_setting_if_absent(
            SECRET_SETTING, secrets.token_urlsafe(48)
        )


def start_session(user: User) -> None:
    session.clear()
    session.permanent = True
    session[_USER] = user.id
    session[_VERSION] = user.session_version


def end_session() -> None:
    session.clear()


def session_claim() -> tuple[int, int] | None:
    """The user id and session version the cookie claims, if it carries any."""
    user_id, version = session.get(_USER), session.get(_VERSION)
    if isinstance(user_id, int) and isinstance(version, int):
        return user_id, version
    return None
