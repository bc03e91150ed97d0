"""``/api/users``: administrators create, list, re-role, deactivate and reactivate users.

Users are never deleted: their API keys and the record of who changed what keep pointing at
them. There is always an active administrator left; the routes refuse a change that would
remove the last one, so nobody can lock the installation out of its own settings.
"""

from __future__ import annotations

import time
from typing import Any

from quart import Blueprint
from quart_schema import document_response, tag_blueprint, validate_request

from pulse_core.accounts import UsernameTaken
from pulse_core.contract.access import Role, requires
from pulse_core.contract.api_errors import ApiError, bad_request, not_found
from pulse_core.contract.openapi import errors
from pulse_core.web.auth.context import auth_context
from pulse_core.web.auth.provisioning import password_problem, username_problem
from pulse_core.web.auth.revocation import Credential
from pulse_core.web.auth.schemas import NewUser, UserChange, UserList, UserOut, user_json
from pulse_core.web.auth.user_changes import LastAdministrator, UnknownUser
from pulse_core.web.auth.user_changes import change_user as change_stored_user

blueprint = Blueprint("auth_users", __name__)
tag_blueprint(blueprint, ["Users"])


@blueprint.get("/api/users")
@requires(Role.ADMIN)
@document_response(UserList)
async def list_users() -> dict[str, Any]:
    """Every user, active or not (users are never deleted), as `{"items": [...]}`."""
    return {"items": [user_json(user) for user in await auth_context().store.users()]}


@blueprint.post("/api/users")
@requires(Role.ADMIN)
@document_response(UserOut, 201)
@errors(409)
@validate_request(NewUser)
async def create_user(data: NewUser) -> tuple[dict[str, Any], int]:
    """Create a user

    A username already taken is a 409. The password must not be one of the 20,000 most common
    (a 400 says so); the other rules of usernames and passwords are in the schema.
    """
    for problem in (username_problem(data.username), password_problem(data.password)):
        if problem is not None:
            raise bad_request(problem)
    context = auth_context()
    password_hash = await context.hasher.hash(data.password)
    try:
        user = await context.store.add_user(
            data.username, data.email, data.role.value, password_hash, time.time()
        )
    except UsernameTaken as error:
        raise ApiError(409, f"{error}: choose another username") from error
    return user_json(user), 201


@blueprint.patch("/api/users/<int:user_id>")
@requires(Role.ADMIN)
@document_response(UserOut)
@errors(409)
@validate_request(UserChange)
async def change_user(user_id: int, data: UserChange) -> dict[str, Any]:
    """Change a user's role, deactivate or reactivate them, or set a new password

    `"active": false` deactivates. Deactivating ends the user's sessions and every live
    stream of the user or of the user's keys; a new password ends the sessions and the streams
    opened with one or with the old password. A change that would leave no active
    administrator is a 409.
    """
    if data.password is not None and (problem := password_problem(data.password)) is not None:
        raise bad_request(problem)
    context = auth_context()
    password_hash = None if data.password is None else await context.hasher.hash(data.password)
    async with context.admins_lock:
        try:
            updated = await change_stored_user(
                context.store, user_id, role=data.role, active=data.active,
                password_hash=password_hash,
            )
        except UnknownUser as error:
            raise not_found(str(error)) from error
        except LastAdministrator as error:
            raise ApiError(409, str(error)) from error
    if data.active is False:
        context.revocations.revoke(Credential("user", user_id))
    if password_hash is not None:
        context.revocations.revoke(Credential("password", user_id))
        context.lockout.succeeded(updated.username)  # a new password lifts a lockout
    return user_json(updated)
