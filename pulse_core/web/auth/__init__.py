"""Authentication and authorisation of the web API: users, API keys, sessions, limits.

:func:`install_auth` puts the guard in front of every route of an application; the routes
that manage accounts come as a built-in plugin (:mod:`pulse_core.web.auth.plugin`).
"""

from __future__ import annotations

from quart import Quart

from pulse_core.config.model import ServerSection
from pulse_core.store import Store
from pulse_core.web.auth.context import AuthContext, attach
from pulse_core.web.auth.guard import install_guard


def install_auth(app: Quart, store: Store, server: ServerSection) -> None:
    attach(app, AuthContext.for_server(store, server))
    install_guard(app)
