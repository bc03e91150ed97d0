"""Configuration as code: apply a YAML file to the running Pulse, and read every applied version.

``POST /api/configuration/apply`` takes the raw YAML as its body. ``GET /current`` answers
with the YAML text that is running, as ``text/yaml``, byte for byte what was applied, so
``curl .../current > pulse.yaml`` saves a file Pulse can be started with.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from quart import Blueprint, Response, current_app, request
from quart_schema import document_response, tag_blueprint, validate_querystring

from pulse_core import hookimpl
from pulse_core.config import ConfigError
from pulse_core.config.limits import (
    NAME_MAX_CHARS,
    NOTES_MAX_CHARS,
    TEXT_MAX_BYTES,
    control_character,
)
from pulse_core.config.privileged import AdminRequired
from pulse_core.contract.access import Role, requires
from pulse_core.contract.api_errors import ApiError, bad_request, not_found
from pulse_core.contract.openapi import also_returns, takes_text
from pulse_core.engine.reconfigure import ApplyResult, ConfigChanger
from pulse_core.models import ConfigVersionInfo, Endpoint
from pulse_core.web.access import current_principal
from pulse_core.web.api.schemas import ErrorBody, Shape
from pulse_core.web.auth.csrf import YAML_TYPES, accepts
from pulse_core.web.serialize import iso

blueprint = Blueprint("configuration", __name__)
tag_blueprint(blueprint, ["Configuration"])

YAML_MEDIA_TYPE = "text/yaml; charset=utf-8"
#: a configuration file is a YAML mapping (OpenAPI viewers and clients may parse it)
YAML_DOCUMENT = {"type": "object"}


class EndpointRef(Shape):
    id: str
    name: str
    type: str
    address: str


class ApplyOut(Shape):
    """What an apply did, or for a dry run would do."""

    config_version_id: int | None = Field(
        description="the version running now; null for a dry run that would create one"
    )
    changed: bool = Field(description="false when the text is the one already running")
    dry_run: bool
    added: list[EndpointRef]
    updated: list[EndpointRef] = Field(description="same id, other settings (a rename, say)")
    removed: list[EndpointRef] = Field(description="no longer checked; their history is kept")
    warnings: list[str]


class VersionOut(Shape):
    id: int
    applied_ts: datetime
    sha256: str
    actor: str | None
    note: str | None
    current: bool = Field(description="whether this is the version running")


class VersionList(Shape):
    """Every applied version, newest first, without their text."""

    items: list[VersionOut]


class VersionDetail(VersionOut):
    yaml: str


class ApplyQuery(BaseModel):
    dry_run: bool = Field(
        False, alias="dryRun", description="validate and compare only; change nothing"
    )


class DownloadQuery(BaseModel):
    download: bool = Field(False, description="answer with the YAML as a file attachment")


@blueprint.post("/api/configuration/apply")
@requires(Role.EDITOR)
@accepts(*YAML_TYPES)
@document_response(ApplyOut)
@document_response(ErrorBody, 400)
@takes_text("text/yaml", "the whole YAML configuration file, in UTF-8")
@validate_querystring(ApplyQuery)
async def apply_configuration(query_args: ApplyQuery) -> dict[str, Any]:
    """Apply a configuration

    The body is the whole YAML file. It is validated like at start-up (an invalid file is a
    400 listing every problem with its line and column) and compared with the running one by
    endpoint id. Headers `X-Actor` and `X-Note` are kept with the new version. Applying
    the running text again changes nothing. The file Pulse was started with is rewritten.
    """
    raw = await request.get_data(cache=False, as_text=False, parse_form_data=False)
    if len(raw) > TEXT_MAX_BYTES:
        raise ApiError(
            413, f"the configuration may be at most {TEXT_MAX_BYTES:,} bytes "
            f"({TEXT_MAX_BYTES // 2**20} MiB); "
            f"this one has {len(raw):,}"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("the body must be the YAML configuration, in UTF-8") from None
    if not text.strip():
        raise bad_request("the body must be the YAML configuration; it is empty")
    changes: ConfigChanger = current_app.config["PULSE"].config_changes
    try:
        result = await changes.apply(
            text, request_actor(), request_note(), query_args.dry_run, caller_is_admin()
        )
    except ConfigError as error:
        raise config_error(error) from None
    except AdminRequired as error:
        raise admin_required(error) from None
    return apply_json(result)


@blueprint.get("/api/configuration/versions")
@document_response(VersionList)
async def list_versions() -> dict[str, Any]:
    """Applied configuration versions"""
    pulse = current_app.config["PULSE"]
    versions = await pulse.store.config_versions()
    running = pulse.config_version_id
    return {"items": [_version_json(version, running) for version in versions]}


@blueprint.get("/api/configuration/versions/<int:version_id>")
@document_response(VersionDetail)
@document_response(ErrorBody, 404)
@also_returns("text/yaml", "the version's YAML, with download=true", schema=YAML_DOCUMENT)
@validate_querystring(DownloadQuery)
async def version_detail(version_id: int, query_args: DownloadQuery) -> Any:
    """One configuration version, with its YAML text"""
    pulse = current_app.config["PULSE"]
    version = await pulse.store.config_version(version_id)
    if version is None:
        raise not_found(f"configuration version {version_id}")
    if query_args.download:
        return yaml_response(version.yaml_text, f"pulse-config-v{version.id}.yaml")
    return {**_version_json(version.info, pulse.config_version_id), "yaml": version.yaml_text}


@blueprint.get("/api/configuration/current")
@also_returns("text/yaml", "the YAML text that is running", schema=YAML_DOCUMENT)
@validate_querystring(DownloadQuery)
async def current_configuration(query_args: DownloadQuery) -> Response:
    """The running configuration, as YAML

    Exactly the text that was applied (`${VAR}` references unresolved, comments kept), ready
    to be saved as the configuration file.
    """
    text = await current_app.config["PULSE"].config_text()
    return yaml_response(text, "pulse.yaml" if query_args.download else None)


def yaml_response(text: str, attachment: str | None) -> Response:
    response = Response(text, content_type=YAML_MEDIA_TYPE)
    if attachment is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{attachment}"'
    return response


def request_actor() -> str | None:
    """Who a configuration change is recorded as: ``X-Actor``, else the signed-in caller.

    ``X-Actor`` is whatever the client says (a pipeline's name, say), so the authenticated
    caller is kept next to it when the two differ.
    """
    claimed = _header_text("X-Actor", NAME_MAX_CHARS)
    principal = current_principal()
    if principal is None:
        return claimed
    if claimed is None or claimed == principal.name:
        return principal.name
    return f"{claimed} (as {principal.kind} {principal.name})"


def request_note() -> str | None:
    """``X-Note``: why the configuration changes, kept with the version."""
    return _header_text("X-Note", NOTES_MAX_CHARS)


def _header_text(name: str, max_chars: int) -> str | None:
    """A header kept with a configuration version, refused when too long or not plain text."""
    value = (request.headers.get(name) or "").strip() or None
    if value is None:
        return None
    if len(value) > max_chars:
        raise bad_request(f"{name} may be at most {max_chars:,} characters; it has {len(value):,}")
    found = control_character(value)
    if found is not None:
        raise bad_request(f"{name} must not contain control characters ({found})")
    return value


def caller_is_admin() -> bool:
    principal = current_principal()
    return principal is not None and principal.role.allows(Role.ADMIN)


def admin_required(error: AdminRequired) -> ApiError:
    """A 403 naming what the caller tried to change: admin-only sections, or ``${VAR}``
    references."""
    principal = current_principal()
    who = f"; {principal.name} is {principal.role}" if principal is not None else ""
    return ApiError(403, f"{error}{who}", **error.details)


def config_error(error: ConfigError) -> ApiError:
    """A 400 with every problem, each located by line and column (docs/configuration.md, Errors).

    The text came in the request, so it is called "the YAML sent", not by the server's file
    name: people read the message (the dashboard shows it above the errors).
    """
    body = ConfigError(error.issues, "the YAML sent").to_dict()
    return ApiError(400, body["message"], errors=body["errors"])


def apply_json(result: ApplyResult) -> dict[str, Any]:
    changes = result.changes
    return {
        "configVersionId": result.config_version_id,
        "changed": result.changed,
        "dryRun": result.dry_run,
        "added": [_endpoint_ref(endpoint) for endpoint in changes.added],
        "updated": [_endpoint_ref(endpoint) for endpoint in changes.updated],
        "removed": [_endpoint_ref(endpoint) for endpoint in changes.removed],
        "warnings": list(result.warnings),
    }


def _endpoint_ref(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id, "name": endpoint.name, "type": endpoint.type,
        "address": endpoint.address,
    }


def _version_json(version: ConfigVersionInfo, running_id: int | None) -> dict[str, Any]:
    """``current`` is the version running, by id: after A, B, then A again, only the
    second A is (both As have the same text)."""
    return {
        "id": version.id,
        "appliedTs": iso(version.applied_ts),
        "sha256": version.sha256,
        "actor": version.actor,
        "note": version.note,
        "current": version.id == running_id,
    }


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
