"""What authentication keeps for the life of one web application."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from quart import Quart, current_app

from pulse_core.config.model import SecureCookies, ServerSection
from pulse_core.store import Store
from pulse_core.web.auth.lockout import LoginLockout
from pulse_core.web.auth.passwords import PasswordHasher, RecentMatches
from pulse_core.web.auth.ratelimit import RateLimiter
from pulse_core.web.auth.revocation import Revocations

EXTENSION_NAME = "pulse_auth"


@dataclass
class AuthContext:
    store: Store
    limiter: RateLimiter
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    lockout: LoginLockout = field(default_factory=LoginLockout)
    recent_matches: RecentMatches = field(default_factory=RecentMatches)
    #: Held while checking and changing who is an active administrator, so two requests
    #: cannot each remove one of the last two.
    admins_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    revocations: Revocations = field(default_factory=Revocations)
    secure_cookies: SecureCookies = "auto"

    @classmethod
    def for_server(cls, store: Store, server: ServerSection) -> AuthContext:
        limiter = RateLimiter(server.rate_limit_per_minute, server.rate_limit_burst)
        return cls(store, limiter, secure_cookies=server.secure_cookies)


def attach(app: Quart, context: AuthContext) -> None:
    app.extensions[EXTENSION_NAME] = context


def auth_context() -> AuthContext:
    """The context of the application answering the current request."""
    context: AuthContext = current_app.extensions[EXTENSION_NAME]
    return context
