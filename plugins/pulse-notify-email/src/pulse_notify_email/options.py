"""The ``email:`` block: ``{host, port, starttls, tls, ca_file, username, password, from, to,
subject, digest}``."""

from __future__ import annotations

from typing import Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from pulse_core.contract import Duration, NotifierCaFile, TemplateText

DEFAULT_SUBJECT = "[Pulse] {{endpoint.name}}: {{status}}"


class EmailOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1, description="the SMTP server")
    port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="default: 465 with tls, else 587 with starttls, else 25",
    )
    starttls: bool = Field(
        True, description="upgrade the connection with STARTTLS (port 587)"
    )
    tls: bool = Field(False, description="implicit TLS from the first byte (port 465)")
    # ``cafile`` is the key's first spelling, still read.
    ca_file: NotifierCaFile = Field(None, validation_alias=AliasChoices("ca_file", "cafile"))
    username: str | None = None
    password: str | None = Field(None, repr=False)
    sender: str = Field(alias="from", min_length=3, description="the From address")
    to: list[str] = Field(min_length=1, description="recipients")
    subject: TemplateText = Field(DEFAULT_SUBJECT, validate_default=True)
    digest: Duration | None = Field(
        None, description="gather notifications for this long (e.g. 15m) into one email"
    )

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.tls and self.starttls:
            raise ValueError(
                "choose tls (implicit, port 465) or starttls (port 587), not both"
            )
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        if self.password is not None and not (self.tls or self.starttls):
            raise ValueError("a password is only sent encrypted: set starttls or tls")
        return self

    @property
    def resolved_port(self) -> int:
        if self.port is not None:
            return self.port
        return 465 if self.tls else 587 if self.starttls else 25
