"""Turning credentials into a caller: API keys, usernames with passwords, session cookies.

Each function answers with a :class:`Caller`, or ``None`` when the credentials do not hold;
the wording of the refusal is the guard's business. Wrong passwords count towards the
username's lockout, whichever way they arrive.
"""

from __future__ import annotations

import hmac
import math
import time
from dataclasses import dataclass

from pulse_core.accounts import ApiKey, User, UserSession
from pulse_core.contract.access import Role
from pulse_core.contract.api_errors import ApiError
from pulse_core.web.access import Principal
from pulse_core.web.auth.context import AuthContext
from pulse_core.web.auth.keys import key_hash, prefix_of
from pulse_core.web.auth.revocation import Credential
from pulse_core.web.auth.sessions import live_session

#: ``last used`` of a key is written at most this often, not on every request.
KEY_USE_RESOLUTION_S = 60.0


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    #: The signed-in user, or the user who created the API key (``None`` for a key made on
    #: the command line).
    user: User | None
    api_key: ApiKey | None = None
    #: The browser session the caller signed in with, if it came with the cookie.
    session: UserSession | None = None

    @property
    def credentials(self) -> frozenset[Credential]:
        """What this caller's access rests on: when one is revoked, its streams end."""
        held: set[Credential] = set()
        if self.api_key is not None:
            held.add(Credential("apikey", self.api_key.id))
        else:
            held.add(Credential("password", self.principal.id))
        if self.session is not None:
            held.add(Credential("session", self.session.id))
        if self.user is not None:
            held.add(Credential("user", self.user.id))
        return frozenset(held)


def user_caller(user: User, session: UserSession | None = None) -> Caller:
    return Caller(Principal("user", user.id, user.username, Role(user.role)), user, None, session)


def lower_role(first: Role, second: Role) -> Role:
    return first if second.allows(first) else second


async def caller_from_api_key(context: AuthContext, key: str) -> Caller | None:
    prefix = prefix_of(key)
    stored = None if prefix is None else await context.store.api_key_by_prefix(prefix)
    if stored is None or not hmac.compare_digest(stored.key_hash, key_hash(key)):
        return None
    role = Role(stored.role)
    owner = None
    if stored.user_id is not None:
        owner = await context.store.user(stored.user_id)
        if owner is None or not owner.active:
            return None
        role = lower_role(role, Role(owner.role))  # a demoted owner's keys follow
    now = time.time()
    if stored.last_used_ts is None or now - stored.last_used_ts >= KEY_USE_RESOLUTION_S:
        await context.store.mark_api_key_used(stored.id, now)
    return Caller(Principal("apikey", stored.id, stored.name, role), owner, stored)


async def user_with_password(context: AuthContext, username: str, password: str) -> User | None:
    """The active user these credentials belong to, or ``None``.

    Raises a 429 while the username is locked, without looking at the password.
    """
    locked_s = context.lockout.seconds_locked(username)
    if locked_s is not None:
        raise locked_out(locked_s)
    user = await context.store.user_by_username(username)
    if user is not None and context.recent_matches.seen(user.id, password, user.password_hash):
        return user if user.active else None
    if user is None:
        await context.hasher.check_against_nobody(password)
        context.lockout.failed(username)
        return None
    if not await context.hasher.matches(password, user.password_hash):
        context.lockout.failed(username)
        return None
    context.lockout.succeeded(username)
    context.recent_matches.remember(user.id, password, user.password_hash)
    return user if user.active else None


def locked_out(seconds: float) -> ApiError:
    minutes = math.ceil(seconds / 60)
    error = ApiError(
        429,
        f"too many wrong passwords for this username: signing in is locked for {minutes} more "
        "minute(s); wait, or sign in with an API key",
    )
    error.headers["Retry-After"] = str(math.ceil(seconds))
    return error


async def caller_from_session(context: AuthContext, token: str) -> Caller | None:
    session = await live_session(context.store, token)
    user = None if session is None else await context.store.user(session.user_id)
    if user is None or not user.active:
        return None
    return user_caller(user, session)
