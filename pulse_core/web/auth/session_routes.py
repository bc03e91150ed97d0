"""``/api/auth/*``: the first registration, signing in and out, changing one's password."""

from __future__ import annotations

import time
from typing import Any

from quart import Blueprint, Response, g, jsonify, request
from quart_schema import document_response, tag_blueprint, validate_request

from pulse_core.accounts import UsernameTaken
from pulse_core.contract.access import Role, public
from pulse_core.contract.api_errors import ApiError, bad_request
from pulse_core.contract.openapi import answers, errors
from pulse_core.web.auth.callers import Caller, user_with_password
from pulse_core.web.auth.context import auth_context
from pulse_core.web.auth.first_run import require_address_host
from pulse_core.web.auth.guard import WRONG_PASSWORD, unauthorized
from pulse_core.web.auth.provisioning import password_problem, username_problem
from pulse_core.web.auth.revocation import Credential
from pulse_core.web.auth.schemas import (
    Credentials,
    PasswordChange,
    Registration,
    SessionOut,
    SetupRequired,
    UserOut,
    user_json,
)
from pulse_core.web.auth.sessions import end_session, live_session, session_token, start_session

blueprint = Blueprint("auth_session", __name__)
tag_blueprint(blueprint, ["Authentication"])


@blueprint.get("/api/auth/setup-required")
@public
@document_response(SetupRequired)
@errors(503)
async def setup_required() -> Response:
    """`true` until the first user registers."""
    return jsonify(not await auth_context().store.users())


@blueprint.post("/api/auth/register")
@public
@document_response(UserOut, 201)
@errors(409, 503)
@validate_request(Registration)
async def register(data: Registration) -> tuple[dict[str, Any], int]:
    """Create the first user, an administrator, and sign them in. Only while no user exists.

    Once a user exists this is a 409. `email` must have an `@`, `confirmPassword` must
    equal `password`, and the password must not be one of the 20,000 most common: a 400
    names the problem otherwise. The request must name Pulse by an IP address or
    `localhost` in its `Host` (403 otherwise), so that no other site can do it through DNS
    rebinding.
    """
    require_address_host(request.headers.get("Host", ""))
    for problem in (username_problem(data.username), password_problem(data.password)):
        if problem is not None:
            raise bad_request(problem)
    if "@" not in data.email:
        raise bad_request("email is not an email address: use name@example.org")
    if data.password != data.confirm_password:
        raise bad_request("password and confirmPassword differ: type the same password twice")
    context = auth_context()
    password_hash = await context.hasher.hash(data.password)
    async with context.admins_lock:
        if await context.store.users():
            raise ApiError(409, "setup is done: an administrator creates further users")
        try:
            user = await context.store.add_user(
                data.username, data.email, Role.ADMIN.value, password_hash, time.time()
            )
        except UsernameTaken as error:
            raise ApiError(409, str(error)) from error
    await start_session(context.store, user, context.secure_cookies)
    return user_json(user), 201


@blueprint.post("/api/auth/login")
@public
@document_response(UserOut)
@errors(401, 503)
@validate_request(Credentials)
async def login(data: Credentials) -> dict[str, Any]:
    """Sign in with a session cookie. Five wrong passwords lock the username for 30 minutes.

    A wrong username or password is a 401; a locked username a 429 with `Retry-After`
    (HTTP Basic on any route meets the same lock).
    """
    context = auth_context()
    user = await user_with_password(context, data.username, data.password)
    if user is None:
        raise unauthorized(WRONG_PASSWORD)
    await start_session(context.store, user, context.secure_cookies)
    return user_json(user)


@blueprint.post("/api/auth/logout")
@public
@answers(204, "signed out (or there was no session)")
@errors(503)
async def logout() -> tuple[str, int]:
    """End this browser's session: its cookie is refused from now on, and the live streams
    opened with it close (nothing to do without one)."""
    context = auth_context()
    token = session_token(request)
    ended = None if token is None else await live_session(context.store, token)
    await end_session(context.store, ended)
    if ended is not None:
        context.revocations.revoke(Credential("session", ended.id))
    return "", 204


@blueprint.get("/api/auth/session")
@document_response(SessionOut)
async def current_session() -> dict[str, Any]:
    """Who is calling: the signed-in user or the API key, and with which role."""
    caller: Caller = g.caller
    principal = caller.principal
    return {
        "kind": principal.kind,
        "id": principal.id,
        "name": principal.name,
        "role": principal.role.value,
        "user": None if caller.user is None else user_json(caller.user),
    }


@blueprint.post("/api/auth/change-password")
@answers(204, "changed")
@validate_request(PasswordChange)
async def change_password(data: PasswordChange) -> tuple[str, int]:
    """Set a new password. Every session of the user ends, and with them the live streams
    opened with a session or the old password; this browser goes on in a new session.

    Only a user has a password: an API key is a 403. A wrong `currentPassword`, or a new
    one among the 20,000 most common, is a 400.
    """
    caller: Caller = g.caller
    if caller.principal.kind != "user" or caller.user is None:
        raise ApiError(403, "an API key has no password: sign in as the user to change it")
    problem = password_problem(data.new_password)
    if problem is not None:
        raise bad_request(problem)
    context = auth_context()
    if await user_with_password(context, caller.user.username, data.current_password) is None:
        raise bad_request("currentPassword is wrong")
    updated = await context.store.update_user(
        caller.user.id,
        password_hash=await context.hasher.hash(data.new_password),
        end_sessions=True,
    )
    context.revocations.revoke(Credential("password", caller.user.id))
    if updated is not None and caller.session is not None:
        await start_session(context.store, updated, context.secure_cookies)
    return "", 204
