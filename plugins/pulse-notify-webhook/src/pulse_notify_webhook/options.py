"""The ``webhook:`` block: ``{url, method, headers, body}``, ``ca_file`` and the dialect.

The dialect is picked while the block is validated, from the dialects the core hands to the
validation (see :mod:`pulse_core.contract.webhooks`), so a ``dialect:`` that is not installed
or a key no dialect takes is a configuration error with its place, not a failed delivery.
Keys besides the webhook's own belong to the chosen dialect and are validated by its
``options_model`` (ServiceNow's ``resolve``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pulse_core.contract import (
    NotifierCaFile,
    TemplateTree,
    WebhookDialect,
    installed_dialects,
)

AUTO, GENERIC = "auto", "generic"


class WebhookOptions(BaseModel):
    # extra keys are the dialect's: checked in _pick_dialect against its options_model
    model_config = ConfigDict(extra="allow", frozen=True)

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
    dialect: str = Field(
        AUTO,
        description="auto: the installed dialect whose URL pattern matches, else generic; "
        "generic; or an installed dialect's name (servicenow, jira)",
    )

    _dialect: WebhookDialect | None = PrivateAttr(None)
    _dialect_options: BaseModel | None = PrivateAttr(None)

    @property
    def chosen_dialect(self) -> WebhookDialect | None:
        """The dialect spoken, None for a generic webhook."""
        return self._dialect

    @property
    def dialect_options(self) -> BaseModel | None:
        return self._dialect_options

    @model_validator(mode="after")
    def _pick_dialect(self, info: ValidationInfo) -> WebhookOptions:
        dialect = pick_dialect(self.dialect, self.url, installed_dialects(info))
        self._dialect = dialect
        extra = dict(self.model_extra or {})
        if dialect is None or dialect.options_model is None:
            if extra:
                raise PydanticCustomError(
                    "webhook_key",
                    "unknown key(s) {keys}: not a webhook key, nor one of the {dialect} dialect",
                    {
                        "keys": ", ".join(sorted(extra)),
                        "dialect": GENERIC if dialect is None else dialect.name,
                    },
                )
            return self
        try:
            self._dialect_options = dialect.options_model.model_validate(
                extra, context=info.context
            )
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
                for problem in error.errors()
            )
            raise PydanticCustomError(
                "webhook_key",
                "{problems} (keys of the {dialect} dialect)",
                {"problems": problems, "dialect": dialect.name},
            ) from None
        return self


def pick_dialect(
    name: str, url: str, installed: Mapping[str, WebhookDialect]
) -> WebhookDialect | None:
    """The dialect ``dialect: name`` means for ``url`` (None: generic)."""
    if name == GENERIC:
        return None
    if name == AUTO:
        return next((d for d in installed.values() if d.matches(url)), None)
    if name in installed:
        return installed[name]
    choices = ", ".join([AUTO, GENERIC, *sorted(installed)])
    raise PydanticCustomError(
        "webhook_dialect",
        "no webhook dialect '{name}' is installed (choose one of {choices}); "
        "install the distribution that provides it",
        {"name": name, "choices": choices},
    )


def default_body(variables: dict[str, Any]) -> dict[str, Any]:
    """Without a ``body``: every variable, as JSON."""
    return dict(variables)
