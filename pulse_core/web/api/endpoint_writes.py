"""``POST /api/endpoints``, ``PUT`` and ``DELETE /api/endpoints/{id}``: the write API of the
client libraries (``create_endpoint({"name", "address", "type", "port"})``).

The YAML stays the source of truth: each write edits one ``targets[]`` entry of the running
text (comments and layout kept, see :mod:`pulse_core.config.editing`), and applies the result
as a new configuration version, so ``GET /api/configuration/current`` always shows it. An
endpoint expanded from a ``cidr`` or ``wildcard`` target is one of many written as a single
entry, so it is changed by editing that range in the YAML, never one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from pydantic.alias_generators import to_camel
from quart import Blueprint, current_app, request
from quart_schema import document_response, tag_blueprint, validate_request

from pulse_core import hookimpl
from pulse_core.config import ConfigError
from pulse_core.config.editing import (
    TargetEditError,
    TargetRef,
    append_target,
    remove_target,
    update_target,
)
from pulse_core.config.layout import RunningText
from pulse_core.config.limits import TEXT_MAX_CHARS, Host, Key, Name
from pulse_core.config.privileged import AdminRequired
from pulse_core.contract.access import Role, requires
from pulse_core.contract.api_errors import ApiError, bad_request, not_found
from pulse_core.engine.reconfigure import ApplyResult, ConfigChanger
from pulse_core.models import Endpoint
from pulse_core.web.api.configuration import (
    ApplyOut,
    admin_required,
    apply_json,
    caller_is_admin,
    config_error,
    request_actor,
    request_note,
)
from pulse_core.web.api.schemas import EndpointOut, ErrorBody
from pulse_core.web.serialize import endpoint_json

blueprint = Blueprint("endpoint_writes", __name__)
tag_blueprint(blueprint, ["Endpoints"])

#: keys of the endpoint JSON that describe an endpoint but are not target keys
_READ_ONLY = frozenset({"id"})
_RANGE_KEYS = frozenset({"cidr", "wildcard"})
_CAPITAL = re.compile(r"(?<!^)(?=[A-Z])")


class EndpointWrite(BaseModel):
    """An endpoint as the SDKs send it.

    Any other target key is accepted too, in camelCase or snake_case (``httpPath`` or
    ``http_path``, ``expectedRttMs``, ``notes``, ``enabled``...). On ``PUT`` the keys given
    replace the target's, a key given as ``null`` is removed, and the rest stay as written.
    """

    model_config = ConfigDict(extra="allow", alias_generator=to_camel, populate_by_name=True)

    name: Name | None = None
    address: Host | None = Field(None, description="the host name or IP address checked")
    host: Host | None = Field(None, description="the same as address")
    type: Key | None = Field(None, description="icmp, tcp, http or another installed probe type")
    # Numbers are JSON numbers (strict: `true` would read as 1). Their bounds are the YAML's,
    # documented here and checked when the target is loaded, so that a 400 names the field
    # as the client spelled it.
    port: StrictInt | None = Field(None, json_schema_extra={"minimum": 1, "maximum": 65535})
    group: Key | None = Field(None, description="a group id; the first group when left out")
    interval_seconds: StrictInt | None = Field(None, json_schema_extra={"minimum": 1})
    timeout_ms: StrictInt | None = Field(None, json_schema_extra={"minimum": 100})
    retries: StrictInt | None = Field(None, json_schema_extra={"minimum": 0})


class EndpointWritten(EndpointOut):
    config_version_id: int | None = Field(description="the configuration version now running")
    warnings: list[str]


@dataclass
class _Write:
    """Target keys from a request body, and how the client spelled each, for error messages."""

    keys: dict[str, Any]
    spelling: dict[str, str] = field(default_factory=dict)
    #: the ``targets[]`` index the write touched, known once the document is edited
    index: int | None = None


@blueprint.post("/api/endpoints")
@requires(Role.EDITOR)
@document_response(EndpointWritten, 201)
@document_response(ErrorBody, 400)
@validate_request(EndpointWrite)
async def create_endpoint(data: EndpointWrite) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Add an endpoint

    Appends a target to the YAML and applies it. `group` defaults to the first group.
    `address` (or `host`) is required, and the target must be valid for its probe
    `type` as in the YAML (a port where the type needs one...): a 400 lists each problem
    by field otherwise. `cidr` and `wildcard` ranges are written in the YAML (400).
    """
    write = _write_from(data)
    write.keys = {key: value for key, value in write.keys.items() if value is not None}
    if "host" not in write.keys:
        raise bad_request("address is required: the host name or IP address to check")

    def add(running: RunningText) -> str:
        write.keys.setdefault("group", running.config.groups[0].id)
        text, write.index = append_target(running.text, write.keys, running.located())
        return text

    result = await _apply_edit(add, lambda error: _rejected(error, write))
    return _written(result.changes.added[0], result, 201)


@blueprint.put("/api/endpoints/<endpoint_id>")
@requires(Role.EDITOR)
@document_response(EndpointWritten)
@document_response(ErrorBody, 400)
@document_response(ErrorBody, 404)
@document_response(ErrorBody, 409)
@validate_request(EndpointWrite)
async def change_endpoint(
    endpoint_id: str, data: EndpointWrite
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Change an endpoint

    Changing its address, port or type makes it another endpoint, with another id (the
    answer has the new one); the old id keeps its history. The changed target must stay
    valid for its probe type (400 by field otherwise); an endpoint that is one address of a
    `cidr` or `wildcard` range is changed in the YAML (409).
    """
    write = _write_from(data)

    def change(running: RunningText) -> str:
        write.index = _single_target(running, endpoint_id).index
        return update_target(running.text, write.index, write.keys, running.located())

    result = await _apply_edit(change, lambda error: _rejected(error, write))
    if result.changes.added:
        endpoint = result.changes.added[0]
    else:
        endpoint = next(ep for ep in result.config.endpoints if ep.id == endpoint_id)
    return _written(endpoint, result, 200)


@blueprint.delete("/api/endpoints/<endpoint_id>")
@requires(Role.EDITOR)
@document_response(ApplyOut)
@document_response(ErrorBody, 404)
@document_response(ErrorBody, 409)
async def delete_endpoint(endpoint_id: str) -> dict[str, Any]:
    """Delete an endpoint

    Removes its target from the YAML. It is no longer checked; its history is kept. The last
    endpoint, or one address of a `cidr` or `wildcard` range, cannot be deleted here (409).
    """

    def remove(running: RunningText) -> str:
        ref = _single_target(running, endpoint_id)
        if running.target_count() == 1:
            raise ApiError(
                409,
                "the last endpoint cannot be deleted: a configuration needs at least one target",
            )
        return remove_target(running.text, ref.index, running.located())

    return apply_json(await _apply_edit(remove, config_error))


def _single_target(running: RunningText, endpoint_id: str) -> TargetRef:
    """The one target ``endpoint_id`` comes from, in the running text."""
    ref = running.target_of(endpoint_id)
    if ref is None:
        raise not_found(f"endpoint {endpoint_id!r}")
    if ref.is_range:
        raise ApiError(
            409,
            f"endpoint {endpoint_id} is one address of the {ref.address_key} target "
            f"'{ref.address}' (targets[{ref.index}]); edit that range in the YAML and apply "
            "it with POST /api/configuration/apply",
        )
    return ref


async def _apply_edit(
    change: Callable[[RunningText], str], rejected: Callable[[ConfigError], ApiError]
) -> ApplyResult:
    """Apply ``change(the running configuration and text)``; ``rejected`` words the
    loader's refusal."""
    changes: ConfigChanger = current_app.config["PULSE"].config_changes
    try:
        return await changes.edit(change, request_actor(), _note(), caller_is_admin())
    except ConfigError as error:
        raise rejected(error) from None
    except AdminRequired as error:
        raise admin_required(error) from None
    except TargetEditError as error:
        raise ApiError(409, str(error)) from None


def _note() -> str:
    return request_note() or f"{request.method} {request.path}"


def _write_from(data: EndpointWrite) -> _Write:
    """The target keys a body sets, in the YAML's snake_case; ``address`` is ``host``."""
    write = _Write({})
    for key, value in data.model_dump(exclude_unset=True).items():
        sent = to_camel(key) if key in EndpointWrite.model_fields else key
        name = _CAPITAL.sub("_", key).lower()
        if name in _READ_ONLY:
            continue
        if name in _RANGE_KEYS:
            raise bad_request(
                f"{sent}: address ranges are written in the YAML; "
                "add them with POST /api/configuration/apply"
            )
        if isinstance(value, str) and len(value) > TEXT_MAX_CHARS:
            raise bad_request(f"{sent}: at most {TEXT_MAX_CHARS:,} characters")
        if name == "address":
            if "host" in write.keys:
                continue  # host, when both are given, is the more precise of the two
            name = "host"
        write.keys[name] = value
        write.spelling[name] = sent
    return write


def _rejected(error: ConfigError, write: _Write) -> ApiError:
    """The loader's problems with the edited target, named by the request's fields."""
    prefix = f"targets[{write.index}]"
    errors: list[dict[str, Any]] = []
    for issue in error.issues:
        if issue.path == prefix or issue.path.startswith(prefix + "."):
            key = issue.path[len(prefix) + 1 :]
            errors.append(
                {"field": write.spelling.get(key, key) or None, "message": issue.message,
                 "value": issue.value}
            )
        else:
            errors.append(
                {"field": None, "path": issue.path, "message": issue.message, "value": issue.value}
            )
    first = errors[0]
    summary = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return ApiError(400, f"the endpoint is not valid: {summary}", errors=errors)


def _written(
    endpoint: Endpoint, result: ApplyResult, status: int
) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = {
        **endpoint_json(endpoint, result.config.group(endpoint.group_id)),
        "configVersionId": result.config_version_id,
        "warnings": list(result.warnings),
    }
    return body, status, {"Location": f"/api/endpoints/{endpoint.id}"}


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
