"""``/api/apikeys``: keys for programs.

Managing keys never lends a caller more than its own role: a caller (a user, or a key
acting as its role) creates keys up to its role, and lists and revokes only keys whose role
(capped by their owner's, as when they are used) is not above its own. Administrators manage
every such key, anyone else only the keys of their own user. A key outside that reach
answers 404, as if it did not exist. So an administrator's ``viewer`` key sees and revokes
only that administrator's viewer keys, never the administrator key beside it.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, g
from quart_schema import document_response, tag_blueprint, validate_request

from pulse_core.accounts import ApiKey
from pulse_core.contract.access import Role
from pulse_core.contract.api_errors import ApiError, not_found
from pulse_core.contract.openapi import answers
from pulse_core.web.auth.callers import Caller, lower_role
from pulse_core.web.auth.context import auth_context
from pulse_core.web.auth.provisioning import issue_api_key
from pulse_core.web.auth.revocation import Credential
from pulse_core.web.auth.schemas import ApiKeyList, NewApiKey, NewApiKeyOut, api_key_json

blueprint = Blueprint("auth_apikeys", __name__)
tag_blueprint(blueprint, ["API keys"])


async def _manageable_keys(caller: Caller) -> list[ApiKey]:
    """The keys ``caller`` may see and revoke, oldest first."""
    store = auth_context().store
    owner_roles = {user.id: Role(user.role) for user in await store.users()}
    role = caller.principal.role
    own_user_id = None if caller.user is None else caller.user.id

    def manageable(key: ApiKey) -> bool:
        if role != Role.ADMIN and (own_user_id is None or key.user_id != own_user_id):
            return False
        key_role = Role(key.role)
        if key.user_id in owner_roles:
            key_role = lower_role(key_role, owner_roles[key.user_id])
        return role.allows(key_role)

    return [key for key in await store.api_keys() if manageable(key)]


@blueprint.post("/api/apikeys")
@document_response(NewApiKeyOut, 201)
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
@document_response(ApiKeyList)
async def list_api_keys() -> dict[str, Any]:
    """The keys the caller may see and revoke, as `{"items": [...]}`."""
    return {"items": [api_key_json(key) for key in await _manageable_keys(g.caller)]}


@blueprint.delete("/api/apikeys/<int:key_id>")
@answers(204, "revoked")
async def revoke_api_key(key_id: int) -> tuple[str, int]:
    """Revoke a key; requests with it are refused from now on."""
    manageable = {key.id for key in await _manageable_keys(g.caller)}
    if key_id not in manageable or not await auth_context().store.delete_api_key(key_id):
        raise not_found(f"API key {key_id}")
    auth_context().revocations.revoke(Credential("apikey", key_id))
    return "", 204
