"""The account routes as a built-in plugin."""

from __future__ import annotations

from collections.abc import Callable

from quart import Blueprint

from pulse_core import hookimpl
from pulse_core.web.auth import key_routes, session_routes, user_routes


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(session_routes.blueprint)
    register(user_routes.blueprint)
    register(key_routes.blueprint)
