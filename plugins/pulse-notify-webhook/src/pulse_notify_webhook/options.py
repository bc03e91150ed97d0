"""The ``webhook:`` block: ``{url, method, headers, body}`` and two additions."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pulse_core.contract import NotifierCaFile, TemplateTree

Dialect = Literal["generic", "servicenow", "jira"]

#: Fields merged into a ServiceNow incident when the endpoint recovers (state 6 = Resolved).
DEFAULT_RESOLVE = {
    "state": "6",
    "close_code": "Solved (Permanently)",
    "close_notes": "{{message}}",
}


class WebhookOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The URL and the headers carry credentials: kept out of repr() (and so out of logs).
    url: str = Field(
        pattern=r"^https?://", description="where the JSON body is sent", repr=False
    )
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    headers: dict[str, str] = Field({}, repr=False)
    ca_file: NotifierCaFile = None
    body: TemplateTree = Field(
        None,
        description="JSON body whose strings are templates; default: every variable",
    )
    dialect: Literal["auto", "generic", "servicenow", "jira"] = Field(
        "auto",
        description="auto: ServiceNow for /api/now/table/..., Jira for /rest/api/N/issue",
    )
    resolve: TemplateTree = Field(
        DEFAULT_RESOLVE,
        validate_default=True,
        description="ServiceNow: fields set on the incident at recovery",
    )

    def resolved_dialect(self) -> Dialect:
        if self.dialect != "auto":
            return self.dialect
        if re.search(r"/api/now/(v\d+/)?table/[^/]+/?$", self.url):
            return "servicenow"
        if re.search(r"/rest/api/[23]/issue/?$", self.url):
            return "jira"
        return "generic"


def default_body(variables: dict[str, Any]) -> dict[str, Any]:
    """Without a ``body``: every variable, as JSON."""
    return dict(variables)
