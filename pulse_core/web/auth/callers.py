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

from pulse_core.accounts import ApiKey, User
from pulse_core.web.access import Principal, Role
from pulse_core.web.auth.context import AuthContext
from pulse_core.web.auth.keys import key_hash, prefix_of
from pulse_core.web.errors import ApiError

#: ``last used`` of a key is written at most this often, not on every request.
KEY_USE_RESOLUTION_S = 60.0


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    #: The signed-in user, or the user who created the API key (``None`` for a key made on
    #: the command line).
    user: User | None
    api_key: ApiKey | None = None


def user_caller(user: User) -> Caller:
    return Caller(Principal("user", user.id, user.username, Role(user.role)), user)


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


async def caller_from_session(context: AuthContext, user_id: int, version: int) -> Caller | None:
    user = await context.store.user(user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user_caller(user)
