"""Request bodies of the account routes (validated by quart-schema, documented in OpenAPI)
and the JSON they answer with."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictBool
from pydantic.alias_generators import to_camel

from pulse_core.accounts import ApiKey, User
from pulse_core.config.limits import RequiredName
from pulse_core.contract.access import Role
from pulse_core.web.auth.provisioning import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    USERNAME_PATTERN,
)
from pulse_core.web.serialize import iso


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


#: The rules of a new username and password, for the OpenAPI document only: the routes check
#: them themselves, with messages that say how to fix them (a schema's would not).
NEW_USERNAME = {"pattern": f"^{USERNAME_PATTERN.pattern}$", "maxLength": 64}
NEW_PASSWORD = {
    "minLength": MIN_PASSWORD_LENGTH,
    "maxLength": MAX_PASSWORD_LENGTH,
    "description": "not one of the 20,000 most common passwords",
}


class Credentials(Body):
    username: str = Field(max_length=200)
    password: str = Field(max_length=4096)


class Registration(Body):
    username: str = Field(max_length=200, json_schema_extra=NEW_USERNAME)
    email: str = Field(max_length=320, description="an email address (with an @)")
    password: str = Field(max_length=4096, json_schema_extra=NEW_PASSWORD)
    confirm_password: str = Field(max_length=4096, description="the same password again")


class PasswordChange(Body):
    current_password: str = Field(max_length=4096)
    new_password: str = Field(max_length=4096, json_schema_extra=NEW_PASSWORD)


class NewUser(Body):
    username: str = Field(max_length=200, json_schema_extra=NEW_USERNAME)
    email: str | None = Field(None, max_length=320)
    password: str = Field(max_length=4096, json_schema_extra=NEW_PASSWORD)
    role: Role = Role.VIEWER


class UserChange(Body):
    role: Role | None = None
    active: StrictBool | None = Field(
        None, description="false deactivates, true reactivates; nothing else reads as a boolean"
    )
    password: str | None = Field(
        None, max_length=4096, json_schema_extra={**NEW_PASSWORD, "description": "a new password, "
        "not one of the 20,000 most common"}
    )


class NewApiKey(Body):
    #: one line: the name is logged and is the actor of its key's configuration applies
    name: RequiredName
    role: Role = Role.VIEWER


class UserOut(Body):
    """A user, without the password hash."""

    id: int
    username: str
    email: str | None
    role: Role
    active: bool
    created_ts: datetime


class ApiKeyOut(Body):
    """A key as listed: everything but its secret, which the store does not have."""

    id: int
    name: str
    role: Role
    prefix: str = Field(description="the key's first characters, to tell keys apart")
    user_id: int | None = Field(description="the user who made it; null for keys made by the CLI")
    created_ts: datetime
    last_used_ts: datetime | None


class NewApiKeyOut(ApiKeyOut):
    """The new key, with the key itself: the only time it is ever shown."""

    key: str


class SetupRequired(RootModel[bool]):
    """`true` until the first user registers."""


class ApiKeyList(Body):
    """The keys the caller may see and revoke, oldest first."""

    items: list[ApiKeyOut]


class UserList(Body):
    """Every user, active or not, oldest first."""

    items: list[UserOut]


class SessionOut(Body):
    """Who is calling, and with which role."""

    kind: Literal["user", "apikey"]
    id: int
    name: str
    role: Role
    user: UserOut | None = Field(description="the signed-in user; null for an API key")


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
