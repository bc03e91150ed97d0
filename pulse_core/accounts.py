"""Who may use the web API: user accounts and API keys, as a store keeps them.

Plain values, like :mod:`pulse_core.models`, so a store plugin depends on nothing of the web
layer. Secrets never appear here in the clear: a user carries the self-describing hash of
the password (see :mod:`pulse_core.web.auth.passwords`), an API key and a session the
SHA-256 of the key or of the session's cookie.
Roles are the names of :class:`pulse_core.contract.Role` (``admin``, ``editor``,
``viewer``).
"""

from __future__ import annotations

from dataclasses import dataclass


class UsernameTaken(Exception):
    """A user with this username exists already."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    email: str | None
    role: str
    password_hash: str
    active: bool
    created_ts: float


@dataclass(frozen=True, slots=True)
class UserSession:
    """One signed-in browser. The cookie carries a random token; the store keeps only its
    SHA-256 as ``id``, so a copy of the database signs nobody in."""

    id: str
    user_id: int
    created_ts: float
    #: Written at most once a minute, not on every request.
    last_seen_ts: float
    #: The session is refused from this time on, and pruned later.
    expires_ts: float


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    name: str
    role: str
    #: The first characters of the key, not secret: they find the key without a scan.
    prefix: str
    #: SHA-256 (hex) of the whole key.
    key_hash: str
    #: The user who created the key, ``None`` for a key made on the command line.
    user_id: int | None
    created_ts: float
    last_used_ts: float | None
