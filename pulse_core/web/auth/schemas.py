"""Request bodies of the account routes (validated by quart-schema, documented in OpenAPI)
and the JSON they answer with."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from pulse_core.accounts import ApiKey, User
from pulse_core.web.access import Role
from pulse_core.web.serialize import iso


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Credentials(Body):
    username: str = Field(max_length=200)
    password: str = Field(max_length=4096)


class Registration(Body):
    username: str = Field(max_length=200)
    email: str = Field(max_length=320)
    password: str = Field(max_length=4096)
    confirm_password: str = Field(max_length=4096)


class PasswordChange(Body):
    current_password: str = Field(max_length=4096)
    new_password: str = Field(max_length=4096)


class NewUser(Body):
    username: str = Field(max_length=200)
    email: str | None = Field(None, max_length=320)
    password: str = Field(max_length=4096)
    role: Role = Role.VIEWER


class UserChange(Body):
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(None, max_length=4096, description="a new password")


class NewApiKey(Body):
    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.VIEWER


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "createdTs": iso(user.created_ts),
    }


def api_key_json(key: ApiKey) -> dict[str, Any]:
    """A key as listed: everything but its secret, which the store does not have."""
    return {
        "id": key.id,
        "name": key.name,
        "role": key.role,
        "prefix": key.prefix,
        "userId": key.user_id,
        "createdTs": iso(key.created_ts),
        "lastUsedTs": iso(key.last_used_ts),
    }
