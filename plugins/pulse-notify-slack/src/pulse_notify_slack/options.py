"""The ``slack:`` block: ``{webhookUrl, channel, username, iconEmoji, messageTemplate}``,
in camelCase as docs/integrations.md spells it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pulse_core.contract import NotifierCaFile, TemplateTree

#: The message when ``messageTemplate`` is left out: one line that reads well in a
#: notification (``message`` also covers reminders, storm summaries and test messages).
DEFAULT_MESSAGE: dict[str, Any] = {
    "text": "{{#eq status 'offline'}}🔴{{else}}🟢{{/eq}} {{message}}",
}


class SlackOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The webhook URL is the credential: kept out of repr() (so out of logs) and the API.
    webhook_url: str = Field(
        alias="webhookUrl",
        pattern=r"^https?://",
        repr=False,
        description="the incoming webhook's URL (it is the credential)",
    )
    ca_file: NotifierCaFile = None
    channel: str | None = Field(
        None, description="e.g. #network-alerts (legacy webhooks)"
    )
    username: str | None = Field(
        None, description="the sender's name (legacy webhooks)"
    )
    icon_emoji: str | None = Field(
        None, alias="iconEmoji", description="e.g. :warning: (legacy webhooks)"
    )
    message_template: TemplateTree = Field(
        DEFAULT_MESSAGE,
        alias="messageTemplate",
        validate_default=True,
        description="the message ({text, attachments or blocks}); every string is a template",
    )

    @field_validator("message_template")
    @classmethod
    def _is_a_message(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError(  # noqa: TRY004 (pydantic reports ValueError, not TypeError)
                "must be a message like {text: ..., attachments: [...]}"
            )
        return value
