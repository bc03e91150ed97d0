"""``/api/apikeys``: keys for programs. Anyone signed in may make keys up to their own role;
administrators see and revoke every key, others their own."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, g
from quart_schema import tag_blueprint, validate_request

from pulse_core.accounts import ApiKey
from pulse_core.web.access import Role
from pulse_core.web.auth.callers import Caller
from pulse_core.web.auth.context import auth_context
from pulse_core.web.auth.provisioning import issue_api_key
from pulse_core.web.auth.schemas import NewApiKey, api_key_json
from pulse_core.web.errors import ApiError, not_found

blueprint = Blueprint("auth_apikeys", __name__)
tag_blueprint(blueprint, ["API keys"])


def _visible_to(caller: Caller, key: ApiKey) -> bool:
    if caller.principal.role == Role.ADMIN:
        return True
    return caller.user is not None and key.user_id == caller.user.id


@blueprint.post("/api/apikeys")
@validate_request(NewApiKey)
async def create_api_key(data: NewApiKey) -> tuple[dict[str, Any], int]:
    """Make a key. The answer holds the key itself, and is the only place it ever appears."""
    caller: Caller = g.caller
    if not caller.principal.role.allows(data.role):
        raise ApiError(
            403,
            f"a key cannot have a higher role than its creator: you are "
            f"{caller.principal.role}, ask for {caller.principal.role} or lower",
        )
    owner_id = None if caller.user is None else caller.user.id
    stored, key = await issue_api_key(auth_context().store, data.name, data.role, owner_id)
    return {**api_key_json(stored), "key": key}, 201


@blueprint.get("/api/apikeys")
async def list_api_keys() -> list[dict[str, Any]]:
    caller: Caller = g.caller
    keys = await auth_context().store.api_keys()
    return [api_key_json(key) for key in keys if _visible_to(caller, key)]


@blueprint.delete("/api/apikeys/<int:key_id>")
async def revoke_api_key(key_id: int) -> tuple[str, int]:
    """Revoke a key; requests with it are refused from now on."""
    caller: Caller = g.caller
    store = auth_context().store
    keys = await store.api_keys()
    key = next((key for key in keys if key.id == key_id and _visible_to(caller, key)), None)
    if key is None or not await store.delete_api_key(key_id):
        raise not_found(f"API key {key_id}")
    return "", 204
