"""The caller of a request, and the role a route needs (from the marks of
:mod:`pulse_core.contract.access`, which the guard in :mod:`pulse_core.web.auth.guard`
enforces before the view runs)."""

from __future__ import annotations

from dataclasses import dataclass

from quart import g

from pulse_core.contract.access import ACCESS_ATTRIBUTE, Role


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a user (by session cookie or HTTP Basic) or an API key."""

    kind: str  # "user" or "apikey"
    id: int
    name: str
    role: Role


def needed_role(view: object, path: str) -> Role | None:
    """The role a view needs: its own mark, else ``viewer`` under ``/api/``, else none."""
    if hasattr(view, ACCESS_ATTRIBUTE):
        return getattr(view, ACCESS_ATTRIBUTE)  # type: ignore[no-any-return]
    return Role.VIEWER if path.startswith("/api/") else None


def current_principal() -> Principal | None:
    """The caller of the current request, once the guard has let it through."""
    return g.get("principal")
