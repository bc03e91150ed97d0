"""Webhook dialects: a receiver's own way of taking a ``webhook:`` notifier's messages.

The ``webhook`` notifier sends its rendered body to a URL. A receiver that keeps records
(a ServiceNow incident, a Jira issue) wants more: the first message of an outage opens the
record and later ones update it. A dialect says how, in a distribution of its own, so the
webhook notifier stays generic and a new service needs no change to it or to the core.

A plugin registers a :class:`WebhookDialect` instance with the
``pulse_register_webhook_dialects`` hook. The core hands the installed dialects to the
validation of the ``notifiers`` section (the :data:`DIALECTS_CONTEXT` key of the pydantic
validation context, read with :func:`installed_dialects`), where the webhook notifier's
options pick one: by ``dialect: <name>``, or, with ``dialect: auto``, the first whose
:meth:`WebhookDialect.matches` accepts the URL.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

import httpx
from pydantic import BaseModel, ValidationInfo

from pulse_core.notifier import Notification, Receipt

#: the key of the pydantic validation context under which the installed dialects are given
DIALECTS_CONTEXT = "pulse_webhook_dialects"


class WebhookSender(Protocol):
    """What a dialect is handed of the webhook notifier it speaks for."""

    #: the notifier's configured name, for messages
    name: str

    @property
    def url(self) -> str: ...

    @property
    def method(self) -> str:
        """``POST`` (default), ``PUT`` or ``PATCH``: for the first request of an outage."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def dialect_options(self) -> BaseModel | None:
        """The dialect's own keys of the ``webhook:`` block, validated by its
        ``options_model`` (``None`` when it has none)."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """:meth:`pulse_core.contract.HttpNotifier.request`: guarded by the outbound policy,
        a 2xx reply or a :class:`~pulse_core.contract.DeliveryError`."""


class WebhookDialect(abc.ABC):
    """One receiver's dialect of the ``webhook`` notifier. Instances are registered."""

    #: what ``dialect:`` names it by (lower case, unique among installed dialects)
    name: ClassVar[str]
    #: keys of its own in the ``webhook:`` block (ServiceNow's ``resolve``), or None
    options_model: ClassVar[type[BaseModel] | None] = None

    @abc.abstractmethod
    def matches(self, url: str) -> bool:
        """Whether ``dialect: auto`` picks this dialect for ``url``."""

    @abc.abstractmethod
    async def send(
        self, notifier: WebhookSender, notification: Notification, body: Any
    ) -> Receipt:
        """Deliver one notification whose rendered ``body`` is given. The first message of
        an outage has ``notification.reference`` None; return the record's id as the
        receipt's ``reference`` and later messages of the outage carry it."""

    def error_message(self, document: Any) -> str | None:
        """The receiver's words in a JSON error reply ``document``, or None to show the
        reply as it is."""
        return None


def installed_dialects(info: ValidationInfo) -> Mapping[str, WebhookDialect]:
    """The dialects the core gave to this validation, by name (none outside the core's
    validation of a configuration)."""
    context = info.context if isinstance(info.context, Mapping) else {}
    dialects: Mapping[str, WebhookDialect] = context.get(DIALECTS_CONTEXT, {})
    return dialects
