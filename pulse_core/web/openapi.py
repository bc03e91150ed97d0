"""The OpenAPI document at ``/openapi.json``, generated from the routes by quart-schema.

The document is public; no interactive docs page is served, because quart-schema's pages load
their JavaScript from a CDN that the air-gapped plant networks Pulse runs in cannot reach.
``docs/api.md`` describes the API instead, and any OpenAPI viewer can load the document.

Two things quart-schema does not derive, this provider adds: which operations are open to
anonymous callers (from the routes' access marks, so the document cannot disagree with the
guard) and which query parameters are required.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, TypeVar

from quart import Quart
from quart_schema import QuartSchema
from quart_schema.conversion import model_schema
from quart_schema.extension import SecuritySchemeInput
from quart_schema.openapi import HttpSecurityScheme, Info, OpenAPIProvider
from werkzeug.routing import Rule

from pulse_core import __version__
from pulse_core.web.access import needed_role

View = TypeVar("View", bound=Callable[..., object])

_EXTRA_CONTENT_ATTRIBUTE = "pulse_openapi_content"

#: an API key as ``Authorization: Bearer <key>``, or a user's name and password (HTTP Basic)
SECURITY_SCHEMES: dict[str, SecuritySchemeInput] = {
    "apiKey": HttpSecurityScheme(scheme="bearer", bearer_format="Pulse API key"),
    "password": HttpSecurityScheme(scheme="basic"),
}


def also_returns(media_type: str, description: str, status: int = 200) -> Callable[[View], View]:
    """Document another media type a route answers with (quart-schema documents JSON only)."""

    def mark(view: View) -> View:
        extra = getattr(view, _EXTRA_CONTENT_ATTRIBUTE, {})
        extra[(status, media_type)] = description
        setattr(view, _EXTRA_CONTENT_ATTRIBUTE, extra)
        return view

    return mark


class PulseOpenAPIProvider(OpenAPIProvider):
    def generate_rules(self) -> Iterable[Rule]:
        """The API only: pages and static files plugins serve (the dashboard) are not part of it."""
        return (rule for rule in super().generate_rules() if rule.rule.startswith("/api/"))

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        paths, components = super().build_paths(rule)
        view = self._app.view_functions[rule.endpoint]
        role = needed_role(view, rule.rule)
        extra = getattr(view, _EXTRA_CONTENT_ATTRIBUTE, {})
        for operations in paths.values():
            for method, operation in operations.items():
                operation = operations[method] = dict(operation, responses=dict(operation["responses"]))
                if role is None:
                    operation["security"] = []
                else:
                    operation["x-pulse-role"] = role.value
                for (status, media_type), description in extra.items():
                    response = dict(operation["responses"].get(status, {"description": ""}))
                    content = dict(response.get("content", {}))
                    content[media_type] = {"schema": {"type": "string", "description": description}}
                    operation["responses"][status] = {**response, "content": content}
        return paths, components

    def build_querystring_parameters(self, model: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        parameters, definitions = super().build_querystring_parameters(model)
        schema = model_schema(model, preference=self._app.config["QUART_SCHEMA_CONVERSION_PREFERENCE"])
        required = set(schema.get("required", ()))
        for parameter in parameters:
            if parameter["name"] in required:
                parameter["required"] = True
        return parameters, definitions


def install_openapi(app: Quart) -> None:
    QuartSchema(
        app,
        openapi_path="/openapi.json",
        redoc_ui_path=None,
        scalar_ui_path=None,
        swagger_ui_path=None,
        info=Info(
            title="Pulse",
            version=__version__,
            description="Network availability monitor. See docs/api.md for a guide to every route.",
        ),
        security_schemes=SECURITY_SCHEMES,
        security=[{"apiKey": []}, {"password": []}],
        openapi_provider_class=PulseOpenAPIProvider,
    )
