"""How a route declares who may call it.

Every ``/api/*`` route needs a signed-in caller with at least the ``viewer`` role unless it
says otherwise, so a route someone forgets to mark is closed, not open. A route opens itself
with :func:`public` or asks for more with :func:`requires`; the web server's guard enforces
the mark before the view runs.
"""

from __future__ import annotations

import enum
from typing import Callable, TypeVar

#: the attribute of a view that holds its mark: ``None`` for public, else the role needed
ACCESS_ATTRIBUTE = "pulse_access"

View = TypeVar("View", bound=Callable[..., object])


class Role(enum.StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        return _RANK[self] >= _RANK[needed]


_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


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
