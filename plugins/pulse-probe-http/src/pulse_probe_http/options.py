"""The YAML keys the ``http`` probe owns: per target, and in ``defaults.http``.

Both models are frozen and hold only hashable values (headers are kept as pairs), because
they end up inside :class:`pulse_core.models.Endpoint`, a frozen, hashable dataclass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from pulse_core.contract import (
    HeaderValue,
    MatchText,
    Name,
    RequiredHeaderValue,
    UrlPath,
    __version__,
)

#: RFC 9110 ``token``: what a method or a header name may be made of.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

HttpStatus = Annotated[int, Field(ge=100, le=599)]


class HttpTargetOptions(BaseModel):
    """Keys of an ``http`` target besides the core ones (``host``, ``port``, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    http_path: UrlPath = Field("/", description="path and query requested, e.g. /status?verbose=1")
    http_match: MatchText | None = Field(
        None, description="text the body must contain (case-insensitive)"
    )
    expected_status: tuple[HttpStatus, ...] | None = Field(
        None, min_length=1, description="accepted status codes; default: any 2xx"
    )
    method: str = "GET"
    headers: tuple[tuple[Name, HeaderValue], ...] = Field(
        (), description="extra request headers, written as a mapping of name: value"
    )
    follow_redirects: bool = False
    tls_verify: bool = Field(
        True, description="false accepts any certificate (self-signed ones on plant devices)"
    )

    @field_validator("http_path")
    @classmethod
    def _path_is_absolute(cls, path: str) -> str:
        if not path.startswith("/") or path.startswith("//"):
            raise ValueError(f"http_path must start with a single '/', e.g. /{path.lstrip('/')}")
        return path

    @field_validator("method")
    @classmethod
    def _method_is_a_token(cls, method: str) -> str:
        if not _TOKEN.fullmatch(method):
            raise ValueError(f"not an HTTP method: {method!r}")
        return method.upper()

    @field_validator("headers", mode="before")
    @classmethod
    def _headers_from_mapping(cls, headers: Any) -> Any:
        if not isinstance(headers, Mapping):
            raise ValueError("headers must be a mapping of name: value")
        for name, value in headers.items():
            if not isinstance(name, str) or not _TOKEN.fullmatch(name):
                raise ValueError(f"not an HTTP header name: {name!r}")
            if isinstance(value, str) and ("\r" in value or "\n" in value):
                raise ValueError(f"header {name} spans several lines")
        return tuple((name, _header_text(value)) for name, value in headers.items())

    @field_serializer("headers")
    def _headers_as_mapping(self, headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
        return dict(headers)

    @model_validator(mode="after")
    def _match_needs_a_body(self) -> HttpTargetOptions:
        if self.http_match is not None and self.method == "HEAD":
            raise ValueError("http_match needs a body, and HEAD responses have none")
        return self


def _header_text(value: Any) -> Any:
    """YAML reads ``X-Line: 7`` as a number; a header value is text either way."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return str(value) if is_number else value


class HttpDefaults(BaseModel):
    """``defaults.http``: what every ``http`` target inherits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agent: RequiredHeaderValue = f"Pulse/{__version__}"
    expect_text: MatchText | None = Field(
        None,
        description="body match of every http target that has no http_match (not HEAD ones); "
        "empty means none",
    )

    @field_validator("expect_text", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        """``expect_text: ""`` is how many existing configurations say "no body match"."""
        return None if value == "" else value
