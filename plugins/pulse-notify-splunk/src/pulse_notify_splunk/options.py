"""The ``splunk:`` block: ``{enabled, hecUrl, token, index, source}`` (docs/integrations.md)
and the event metadata and mode left to defaults there."""

from __future__ import annotations

import socket
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pulse_core.contract import NotifierCaFile


class SplunkOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="false: the notifier sends nothing")
    hec_url: str = Field(
        alias="hecUrl",
        pattern=r"^https?://",
        description="e.g. https://splunk:8088/services/collector (or .../collector/event)",
    )
    token: str = Field(min_length=1, repr=False, description="the HEC token")
    ca_file: NotifierCaFile = None
    index: str | None = Field(None, description="default: the token's default index")
    source: str = "pulse"
    sourcetype: str = "network_monitoring"
    host: str = Field(
        default_factory=socket.gethostname, description="default: this machine's name"
    )
    mode: Literal["changes", "checks"] = Field(
        "changes",
        description="changes: one event per status change; checks: every check",
    )
