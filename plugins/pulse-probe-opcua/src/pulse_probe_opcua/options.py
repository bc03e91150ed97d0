"""The YAML keys the ``opcua`` probe owns: per target, and in ``defaults.opcua``.

The models are frozen and hold only hashable values, because they end up inside the core's
frozen, hashable ``Endpoint``. Security keys left out of a target come from
``defaults.opcua``: a site usually gives Pulse one client certificate for all its servers.

A node id is parsed by asyncua when a configuration names one: asyncua (0.2-0.3 s of CPU to
import) is then loaded with the configuration, and otherwise not at all.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Security = Literal["none", "Basic256Sha256"]
SecurityMode = Literal["Sign", "SignAndEncrypt"]
Expected = bool | int | float | str


class NodeExpectation(BaseModel):
    """One ``nodes[]`` entry: a node to read and, optionally, what its value must be."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    node: str = Field(description="node id, e.g. ns=2;s=Line1.Speed or ns=0;i=2259")
    equals: Expected | None = None
    min: float | None = None
    max: float | None = None

    @field_validator("node")
    @classmethod
    def _node_id_parses(cls, node: str) -> str:
        try:
            from asyncua import ua
        except ImportError as missing:
            raise ValueError(f"reading OPC UA node ids needs asyncua: {missing}") from None
        try:
            return ua.NodeId.from_string(node).to_string()
        except (ua.UaError, ValueError):
            raise ValueError(
                f"not an OPC UA node id: {node!r}; write it like ns=2;s=Line1.Speed or ns=2;i=1001"
            ) from None

    @model_validator(mode="after")
    def _bounds_make_sense(self) -> NodeExpectation:
        if self.equals is not None and (self.min is not None or self.max is not None):
            raise ValueError("give either equals or min/max for a node, not both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is greater than max ({self.max:g})")
        return self


class OpcuaDefaults(BaseModel):
    """``defaults.opcua``: the security every ``opcua`` target inherits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    security: Security = "none"
    security_mode: SecurityMode = "SignAndEncrypt"
    certificate: str | None = Field(None, description="Pulse's client certificate (DER or PEM)")
    private_key: str | None = Field(None, description="its private key (PEM or DER, unencrypted)")

    @model_validator(mode="after")
    def _secure_needs_a_certificate(self) -> OpcuaDefaults:
        if self.security != "none" and (self.certificate is None or self.private_key is None):
            raise ValueError(
                f"security {self.security} needs certificate and private_key files"
            )
        return self


class OpcuaTargetOptions(BaseModel):
    """Keys of an ``opcua`` target besides the core ones; unset security keys inherit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field("", description="path of the endpoint URL, e.g. /OPCUA/SimulationServer")
    security: Security | None = None
    security_mode: SecurityMode | None = None
    certificate: str | None = None
    private_key: str | None = None
    server_certificate: str | None = Field(
        None, description="the server's certificate; without it, it is asked from the server"
    )
    nodes: tuple[NodeExpectation, ...] = ()

    @field_validator("path")
    @classmethod
    def _path_is_absolute(cls, path: str) -> str:
        if path and not path.startswith("/"):
            raise ValueError(f"path must start with '/', e.g. /{path}")
        return path

    @field_validator("nodes", mode="before")
    @classmethod
    def _bare_node_ids(cls, nodes: Any) -> Any:
        """``- ns=2;s=Heartbeat`` is short for ``- {node: ns=2;s=Heartbeat}``."""
        if isinstance(nodes, list | tuple):
            return [{"node": entry} if isinstance(entry, str) else entry for entry in nodes]
        return nodes
