"""Changing a user, for ``PATCH /api/users/{id}`` and ``pulse user ...`` alike.

Both keep the same rule — an active administrator always remains, so nobody locks the
installation out of its own settings — and make the same change in the store: deactivating
or a new password deletes the user's sessions in the same transaction. The store is shared
by every process, so that part holds at once for the server too. Ending the live streams
that rested on the old credentials is the business of the process that holds them (see
:mod:`pulse_core.web.auth.revocation`): the route announces it; the command line cannot
reach the server's memory.
"""

from __future__ import annotations

from pulse_core.accounts import User
from pulse_core.contract.access import Role
from pulse_core.store import Store


class UnknownUser(Exception):
    """No user has this id."""


class LastAdministrator(Exception):
    """The change would leave no active administrator; the message says what to do."""


def _is_active_admin(user: User) -> bool:
    return user.active and user.role == Role.ADMIN.value


async def change_user(
    store: Store,
    user_id: int,
    *,
    role: Role | None = None,
    active: bool | None = None,
    password_hash: str | None = None,
) -> User:
    """Apply the change (``None`` keeps a field) and return the updated user.

    Callers in one process hold a lock around this (``AuthContext.admins_lock``), so two
    requests cannot each remove one of the last two administrators.
    """
    users = await store.users()
    user = next((user for user in users if user.id == user_id), None)
    if user is None:
        raise UnknownUser(f"user {user_id}")
    stays_admin = (role or user.role) == Role.ADMIN and active is not False
    other_admins = [other for other in users if _is_active_admin(other) and other != user]
    if _is_active_admin(user) and not stays_admin and not other_admins:
        raise LastAdministrator(
            f"{user.username} is the last active administrator: make another user an "
            "administrator first"
        )
    updated = await store.update_user(
        user_id,
        role=None if role is None else role.value,
        active=active,
        password_hash=password_hash,
        end_sessions=active is False or password_hash is not None,
    )
    if updated is None:  # users are never deleted, but another process may race us
        raise UnknownUser(f"user {user_id}")
    return updated

