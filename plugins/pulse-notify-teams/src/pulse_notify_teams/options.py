"""The ``teams:`` block: ``{webhookUrl, card}``.

``card`` is one of three shapes, each a structure whose strings are templates:

- an Adaptive Card (``type: AdaptiveCard``), sent inside the message a Workflows webhook
  takes (the default, :data:`DEFAULT_CARD`);
- a whole Workflows message (``type: message`` with Adaptive Card attachments), sent as is;
- an Office 365 connector ``MessageCard`` (``@type: MessageCard``), sent as is, for
  connector webhooks that still run (Microsoft retired them during 2025-2026).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pulse_core.contract import NotifierCaFile, Template, TemplateTree

CardShape = Literal["adaptive_card", "message", "message_card"]

#: The card when none is configured: what changed, big and coloured, then the facts.
DEFAULT_CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "version": "1.4",
    "body": [
        {
            "type": "TextBlock",
            "text": "{{endpoint.name}} is {{status}}",
            "size": "Medium",
            "weight": "Bolder",
            "color": "{{#eq status 'offline'}}Attention{{else}}Good{{/eq}}",
            "wrap": True,
        },
        {"type": "TextBlock", "text": "{{message}}", "wrap": True},
        {
            "type": "FactSet",
            "facts": [
                {"title": "Status", "value": "{{status}} (was {{previous_status}})"},
                {"title": "Address", "value": "{{endpoint.address}}"},
                {"title": "Group", "value": "{{endpoint.group_name}}"},
                {
                    "title": "Response time",
                    "value": "{{#if response_time}}{{response_time}} ms{{else}}-{{/if}}",
                },
                {"title": "Time", "value": "{{timestamp}}"},
            ],
        },
    ],
}


class TeamsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The URL carries the credential (its sig= parameter): kept out of repr() and the API.
    webhook_url: str = Field(
        alias="webhookUrl",
        pattern=r"^https?://",
        repr=False,
        description="the Workflows (or connector) webhook URL; it is the credential",
    )
    ca_file: NotifierCaFile = None
    card: TemplateTree = Field(
        DEFAULT_CARD,
        validate_default=True,
        description="an AdaptiveCard, a whole Workflows message, or a MessageCard",
    )

    @field_validator("card")
    @classmethod
    def _known_shape(cls, value: Any) -> Any:
        card_shape(value)
        return value

    @property
    def shape(self) -> CardShape:
        return card_shape(self.card)


def card_shape(card: Any) -> CardShape:
    """Which of the three shapes ``card`` (compiled) is; ValueError for anything else."""
    if isinstance(card, dict):
        kind, legacy = _source(card.get("type")), _source(card.get("@type"))
        if legacy == "MessageCard":
            return "message_card"
        if kind == "AdaptiveCard":
            return "adaptive_card"
        if kind == "message":
            return "message"
    raise ValueError(
        "must be an Adaptive Card (type: AdaptiveCard), a message (type: message) "
        "or a MessageCard (@type: MessageCard)"
    )


def _source(value: Any) -> Any:
    return value.source if isinstance(value, Template) else value
