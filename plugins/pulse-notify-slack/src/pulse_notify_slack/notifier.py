"""``slack``: one message per notification to an incoming webhook.

Every string of ``messageTemplate`` is rendered on its own and the message serialised
afterwards, so no endpoint name can break the JSON; values put into it have ``&``, ``<`` and
``>`` escaped as Slack asks, so none can make a link or a mention (the template's own text,
where a user may write ``<https://...|link>``, is left as written). ``text`` is always sent: it is what
Slack shows in notifications and where blocks or attachments cannot be shown; a template
without one gets the notification's ``message``. ``channel``, ``username`` and
``icon_emoji`` are sent when configured: app webhooks ignore them, legacy ones honour them.

Slack answers 200 ``ok``; its errors are plain words (``invalid_payload``, ``no_text``,
``channel_not_found``), permanent, and end up in the dead-letter list as they are; beyond
about one message a second it answers 429 with ``Retry-After``, which the courier honours
(see :class:`pulse_core.contract.http.HttpNotifier`).
"""

from __future__ import annotations

from typing import Any

from pulse_core.contract import HttpNotifier, Notification, Notifier, Receipt, excerpt, render_tree
from pulse_notify_slack.options import SlackOptions


def slack_escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as the entities Slack asks for: in a value, ``<`` would start a
    link or a mention (an endpoint named ``<!channel>`` would notify everyone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackNotifier(HttpNotifier):
    type_name = "slack"
    options_model = SlackOptions
    options: SlackOptions
    secret_keys = Notifier.secret_keys | {"webhookurl"}

    def message(self, notification: Notification) -> dict[str, Any]:
        """The JSON message for ``notification``."""
        variables = notification.variables
        message: dict[str, Any] = render_tree(
            self.options.message_template, variables, escape=slack_escape
        )
        if not message.get("text"):
            message["text"] = slack_escape(str(variables.get("message", "")))
        overrides = {
            "channel": self.options.channel,
            "username": self.options.username,
            "icon_emoji": self.options.icon_emoji,
        }
        message.update({key: value for key, value in overrides.items() if value})
        return message

    async def deliver(self, notification: Notification) -> Receipt:
        response = await self.request(
            "POST", self.options.webhook_url, json_body=self.message(notification)
        )
        return Receipt(f"HTTP {response.status_code} {excerpt(response.text, 80)}")
