"""Who may call what: roles, the caller of a request, and how a route declares its needs.

Every ``/api/*`` route needs a signed-in caller with at least the ``viewer`` role unless it
says otherwise, so a route someone forgets to mark is closed, not open. A route opens itself
with :func:`public` or asks for more with :func:`requires`; the guard in
:mod:`pulse_core.web.auth.guard` enforces it before the view runs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable, TypeVar

from quart import g

ACCESS_ATTRIBUTE = "pulse_access"

View = TypeVar("View", bound=Callable[..., object])


class Role(enum.StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        return _RANK[self] >= _RANK[needed]


_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a user (by session cookie or HTTP Basic) or an API key."""

    kind: str  # "user" or "apikey"
    id: int
    name: str
    role: Role


def public(view: View) -> View:
    """Anyone may call this route, signed in or not."""
    setattr(view, ACCESS_ATTRIBUTE, None)
    return view


def requires(role: Role) -> Callable[[View], View]:
    """Callers need at least ``role``."""

    def mark(view: View) -> View:
        setattr(view, ACCESS_ATTRIBUTE, role)
        return view

    return mark


def needed_role(view: object, path: str) -> Role | None:
    """The role a view needs: its own mark, else ``viewer`` under ``/api/``, else none."""
    if hasattr(view, ACCESS_ATTRIBUTE):
        return getattr(view, ACCESS_ATTRIBUTE)  # type: ignore[no-any-return]
    return Role.VIEWER if path.startswith("/api/") else None


def current_principal() -> Principal | None:
    """The caller of the current request, once the guard has let it through."""
    return g.get("principal")
