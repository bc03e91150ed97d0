"""What a notifier plugin implements: delivery of one notification to one outside system.

The core decides *what* is sent and *when* (routing, damping, storms, maintenance windows),
keeps every notification in a durable outbox and retries; a notifier only turns one
notification into one request to its receiver and says how that went. It must raise
:class:`DeliveryError` for a failure, telling a permanent one (a bad token, a payload the
receiver refuses: retrying cannot help) from a passing one (a timeout, 429, 503).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Mapping

from pydantic import BaseModel

NotificationKind = Literal["status_change", "reminder", "summary", "test"]


@dataclass(frozen=True, slots=True)
class Notification:
    """One message for one notifier.

    ``variables`` are the template variables (``endpoint.name``, ``status``,
    ``previous_status``, ``timestamp``, ``response_time``, ``duration`` ...), nested as the
    templates address them. ``thread_key`` groups the notifications of one incident (an
    endpoint's outage, from going offline to recovery); ``reference`` is what the receiver
    answered to the first notification of that incident (a ServiceNow ``sys_id``, a Jira key),
    so a recovery can update the same record instead of opening a new one.
    """

    id: str
    kind: NotificationKind
    variables: Mapping[str, Any]
    thread_key: str | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the receiver answered: a short detail for people and, where the receiver creates
    a record, its identifier."""

    detail: str
    reference: str | None = None


class DeliveryError(Exception):
    """A delivery failed. ``permanent`` failures are not retried; ``retry_after_s`` carries a
    receiver's ``Retry-After``."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after_s = retry_after_s


class Notifier(abc.ABC):
    """Sends notifications to one configured receiver.

    - ``type_name``: the key that selects this notifier in a ``notifiers[]`` entry
      (``slack: {webhookUrl: ...}`` selects ``slack``).
    - ``options_model``: a pydantic model validating that block.
    """

    type_name: ClassVar[str]
    options_model: ClassVar[type[BaseModel]]

    def __init__(self, name: str, options: BaseModel) -> None:
        self.name = name
        self.options = options

    async def start(self) -> None:
        """Acquire shared resources (an HTTP client, an SMTP connection pool)."""

    async def close(self) -> None:
        """Release what :meth:`start` acquired."""

    @abc.abstractmethod
    async def deliver(self, notification: Notification) -> Receipt:
        """Send one notification; raise :class:`DeliveryError` if it did not arrive."""

