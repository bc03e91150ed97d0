"""The YAML keys the ``snmp`` probe owns: per target, and in ``defaults.snmp``.

Credentials may sit in either place; a target's own value wins. Both models are frozen and
hold only hashable values, because target options end up inside the (hashable) endpoint.
Keys are ``SecretStr``: a repr, a log line or an error report never shows them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

DEFAULT_PORT = 161
DEFAULT_COMMUNITY = "public"

#: a numeric OID such as ``1.3.6.1.2.1.1.5.0`` (names need MIB files a device may not match)
_NUMERIC_OID = re.compile(r"\.?[0-2](\.\d+)+")

AuthProtocol = Literal["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"]
PrivProtocol = Literal["DES", "3DES", "AES", "AES-192", "AES-256"]
Version = Literal["2c", "3"]
MIN_KEY_CHARS, MAX_KEY_CHARS = 8, 256


def _key_length(key: SecretStr) -> SecretStr:
    """SNMPv3 passphrases: agents (net-snmp among them) refuse ones shorter than 8."""
    if not MIN_KEY_CHARS <= len(key.get_secret_value()) <= MAX_KEY_CHARS:
        raise ValueError(f"must be {MIN_KEY_CHARS} to {MAX_KEY_CHARS} characters long")
    return key


Key = Annotated[SecretStr, AfterValidator(_key_length)]
Text = Annotated[str, Field(min_length=1, max_length=256)]


def _version_text(version: Any) -> Any:
    """``version: 3`` is a number in YAML; ``2c`` is text. Both mean the same to people."""
    return str(version) if isinstance(version, int) and not isinstance(version, bool) else version


class Credentials(BaseModel):
    """What a request is signed with: the keys ``defaults.snmp`` and a target share."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Version | None = Field(None, description="2c (community) or 3 (user); default 2c")
    community: Text | None = Field(None, description="SNMPv2c community; default public")
    user: Text | None = Field(None, description="SNMPv3 user name")
    auth_protocol: AuthProtocol | None = Field(None, description="SNMPv3 digest; default SHA")
    auth_key: Key | None = Field(None, description="SNMPv3 authentication passphrase")
    priv_protocol: PrivProtocol | None = Field(None, description="SNMPv3 cipher; default AES")
    priv_key: Key | None = Field(None, description="SNMPv3 privacy passphrase")

    _version = field_validator("version", mode="before")(_version_text)


class SnmpDefaults(Credentials):
    """``defaults.snmp``: credentials every snmp target inherits."""


class OidExpectation(BaseModel):
    """One ``oids:`` entry: a value read with every check, and what it must be."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    oid: str = Field(description="numeric OID, e.g. 1.3.6.1.2.1.1.5.0")
    name: Text | None = Field(None, description="a label for the value in details and errors")
    equals: int | Text | None = Field(None, description="the value must be exactly this")
    min: float | None = Field(None, description="a number no smaller than this")
    max: float | None = Field(None, description="a number no larger than this")
    changed: bool = Field(False, description="the value must differ from the previous check's")

    @field_validator("oid")
    @classmethod
    def _numeric(cls, oid: str) -> str:
        if not _NUMERIC_OID.fullmatch(oid):
            raise ValueError(f"not a numeric OID: {oid!r} (write it like 1.3.6.1.2.1.1.5.0)")
        return oid.lstrip(".")

    @property
    def label(self) -> str:
        return self.name or self.oid


class SnmpTargetOptions(Credentials):
    """Keys of an ``snmp`` target besides the core ones (``host``, ``port``, ...)."""

    oids: tuple[OidExpectation, ...] = Field((), description="values read and checked")
    interfaces: tuple[int | Text, ...] = Field(
        (), description="interfaces (name or ifIndex) whose ifOperStatus must be up"
    )
    alert_on_restart: bool = Field(
        False,
        description="a restart fails the checks up to the failure threshold, so it opens an "
        "outage and notifies like one",
    )

    @model_validator(mode="after")
    def _keys_fit_the_version(self) -> SnmpTargetOptions:
        if self.version == "3" and self.community is not None:
            raise ValueError("community is for version 2c; version 3 signs with user and keys")
        if self.priv_key is not None and self.auth_key is None:
            raise ValueError("priv_key needs an auth_key too (SNMPv3 has no privacy without it)")
        return self
