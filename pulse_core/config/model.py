"""The validated configuration: what ``pulse_core.config.load_config`` returns.

The pydantic models mirror the YAML (docs/configuration.md); the result,
``PulseConfig``, is what the rest of Pulse uses: groups and endpoints already expanded,
defaults applied, secrets resolved.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pulse_core.config.limits import (
    ADDRESSES_PER_TARGET_CEILING,
    FILE_PATH_MAX_CHARS,
    Host,
    Key,
    Name,
    Network,
    Notes,
    RequiredName,
)
from pulse_core.dependencies import Dependencies
from pulse_core.models import Endpoint, Group

GROUP_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
COLOR_PATTERN = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"

#: ``depends_on``: one endpoint name or id, or a list of them (docs/topology.md)
DependsOn = RequiredName | tuple[RequiredName, ...]
DependsOnModeName = Literal["all", "any"]


class Section(BaseModel):
    """Base of every YAML mapping: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: ``server.secure_cookies``: ``auto`` (``Secure`` when the request came over TLS) or a fixed
#: yes/no, ``true`` for a proxy that ends TLS in front of Pulse.
SecureCookies = bool | Literal["auto"]


class TlsSection(Section):
    """``server.tls``: Pulse serves HTTPS with this certificate and key (PEM files). Relative
    paths are anchored at the configuration file's folder when it is loaded, as a relative
    SQLite path is; :mod:`pulse_core.config.tls` checks that the files are usable."""

    certfile: str = Field(
        min_length=1, max_length=FILE_PATH_MAX_CHARS,
        description="PEM certificate: the server's certificate first, then any intermediates",
    )
    keyfile: str = Field(
        min_length=1, max_length=FILE_PATH_MAX_CHARS,
        description="PEM private key of that certificate, not encrypted",
    )
    redirect_http_port: int | None = Field(
        None, ge=1, le=65535,
        description="also listen for plain HTTP on this port and redirect every request to https",
    )


class ServerSection(Section):
    host: Host = "0.0.0.0"
    port: int = Field(8080, ge=1, le=65535)
    rate_limit_per_minute: int = Field(
        600, ge=0, description="requests a minute per API key, user or client address; 0: off"
    )
    rate_limit_burst: int = Field(
        100, ge=1, description="requests a caller may send at once before the per-minute rate"
    )
    secure_cookies: SecureCookies = Field(
        "auto",
        description="mark the session cookie Secure: auto (when the request came over https), "
        "true (behind a proxy that ends TLS) or false",
    )
    tls: TlsSection | None = None

    @model_validator(mode="after")
    def _tls_fits(self) -> ServerSection:
        """Over TLS the session cookie must be ``Secure``, and the redirect needs a port of
        its own."""
        if self.tls is None:
            return self
        if self.secure_cookies is False:
            raise ValueError(
                "secure_cookies: false cannot go with tls: over https the session cookie is "
                "always Secure; remove secure_cookies or set it to auto"
            )
        if self.tls.redirect_http_port == self.port:
            raise ValueError(
                f"tls.redirect_http_port is the same as port ({self.port}): give the plain "
                "HTTP redirect a port of its own (80 beside 443, for example)"
            )
        return self


class StorageSection(Section):
    url: str | None = Field(
        None, description="SQLAlchemy-style URL; default a SQLite file in the data directory"
    )
    retention_days: int = Field(60, ge=1)


class ClusterSection(Section):
    """``cluster``: how the nodes of a cluster (several ``pulse run`` on one PostgreSQL
    store) find each other. Every node runs the same configuration, so what differs per node
    (``node_name``, ``site``) comes from its environment (``${PULSE_NODE_NAME}``) or from
    ``pulse run --node-name/--site``; docs/cluster.md."""

    #: this node's name, unique in the cluster; default the host name
    node_name: Key | None = None
    #: the site this node belongs to; default ``default_site``
    site: Key | None = None
    #: the site of endpoints whose target and groups name none
    default_site: Key = "main"
    heartbeat_seconds: float = Field(5.0, ge=0.2, le=60.0)

    @property
    def lease_s(self) -> float:
        """How long a node stays a member without a heartbeat: three missed beats."""
        return 3 * self.heartbeat_seconds


class DefaultsSection(BaseModel):
    """``defaults``: values every target inherits. ``defaults.<type>`` sections (for example
    ``defaults.http``) belong to the probe plugin of that type and are validated by it."""

    model_config = ConfigDict(extra="allow", frozen=True)

    interval_seconds: int = Field(10, ge=1)
    timeout_ms: int = Field(1500, ge=100)
    retries: int = Field(1, ge=0)
    failure_threshold: int = Field(2, ge=1)
    success_threshold: int = Field(2, ge=1)
    max_addresses_per_target: int = Field(4096, ge=1, le=ADDRESSES_PER_TARGET_CEILING)


class GroupSection(Section):
    id: str = Field(pattern=GROUP_ID_PATTERN)
    name: RequiredName
    parent_id: Key | None = None
    color: str | None = Field(None, pattern=COLOR_PATTERN)
    sort_order: int = 0
    site: Key | None = None
    depends_on: DependsOn | None = None
    depends_on_mode: DependsOnModeName | None = None


class TargetSection(BaseModel):
    """One ``targets[]`` entry. Keys not listed here belong to the probe plugin of ``type``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: Key
    group: Key
    host: Host | None = None
    cidr: Network | None = None
    wildcard: Network | None = None
    name: Name | None = None
    port: int | None = Field(None, ge=1, le=65535)
    interval_seconds: int | None = Field(None, ge=1)
    timeout_ms: int | None = Field(None, ge=100)
    retries: int | None = Field(None, ge=0)
    failure_threshold: int | None = Field(None, ge=1)
    success_threshold: int | None = Field(None, ge=1)
    expected_rtt_ms: float | None = Field(None, gt=0)
    enabled: bool = True
    notes: Notes | None = None
    site: Key | None = None
    depends_on: DependsOn | None = None
    depends_on_mode: DependsOnModeName | None = None


class ConfigFile(Section):
    """The whole YAML document. Top-level keys claimed by plugins are validated separately."""

    model_config = ConfigDict(extra="allow", frozen=True)

    version: Literal[1]
    defaults: DefaultsSection = DefaultsSection()
    groups: list[GroupSection] = Field(min_length=1)
    #: each entry is validated by ``TargetSection`` on its own, when its endpoints are built
    #: (``targets.py``): 20,000 validated sections at once took a kilobyte per target
    targets: list[Any] = Field(min_length=1)
    server: ServerSection = ServerSection()
    storage: StorageSection = StorageSection()
    cluster: ClusterSection = ClusterSection()


@dataclass(frozen=True)
class PulseConfig:
    """A loaded configuration, ready to run."""

    defaults: DefaultsSection
    groups: tuple[Group, ...]
    endpoints: tuple[Endpoint, ...]
    server: ServerSection
    storage: StorageSection
    #: validated ``defaults.<type>`` sections, by probe type (absent ones at their defaults)
    probe_defaults: Mapping[str, BaseModel] = field(default_factory=dict)
    #: validated top-level sections claimed by plugins, by name
    sections: Mapping[str, Any] = field(default_factory=dict)
    #: :func:`text_sha256` of the YAML text as given (before ``${VAR}`` substitution): what
    #: names it among the stored configuration versions. The text itself is not kept here,
    #: since a running Pulse would hold it for its whole life (1.1 MB at 20,000 targets): the
    #: store keeps every applied text, and ``Pulse.config_text()`` reads the running one.
    source_sha256: str = ""
    source_path: Path | None = None
    cluster: ClusterSection = field(default_factory=ClusterSection)
    #: what endpoints depend on (``depends_on``), resolved to ids
    dependencies: Dependencies = field(default_factory=Dependencies)

    def group(self, group_id: str) -> Group:
        return next(g for g in self.groups if g.id == group_id)


def text_sha256(text: str) -> str:
    """The hex SHA-256 of ``text`` in UTF-8: how configuration texts are told apart."""
    return hashlib.sha256(text.encode()).hexdigest()
