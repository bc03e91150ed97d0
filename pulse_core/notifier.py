"""What a notifier plugin implements: delivery of one notification to one outside system.

The core decides *what* is sent and *when* (routing, damping, storms, maintenance windows),
keeps every notification in a durable outbox and retries; a notifier only turns one
notification into one request to its receiver and says how that went. It must raise
:class:`DeliveryError` for a failure, telling a permanent one (a bad token, a payload the
receiver refuses: retrying cannot help) from a passing one (a timeout, 429, 503).

Writing a notifier plugin:

- subclass :class:`Notifier` (or :class:`pulse_core.contract.HttpNotifier` for a
  receiver spoken to over HTTP: it brings the outbound guard, a shared client and the
  classification of replies), set ``type_name`` and ``options_model`` (use
  :data:`pulse_core.contract.TemplateTree` / ``TemplateText`` for options that are
  templates, so mistakes are config errors at load time), implement :meth:`Notifier.deliver`;
- register it: ``@hookimpl def pulse_register_notifiers(register): register(MyNotifier)``;
- render messages with ``render_tree(options.body, notification.variables)``; every type
  should have a sensible default message so that its URL alone is a working configuration;
- before any connection, ``await self.outbound.check_url(url)`` (or ``check_host``); over
  TLS, trust ``self.outbound.tls_context(options.ca_file)`` (a ``ca_file: NotifierCaFile``
  option, see :mod:`pulse_core.contract.trust`) and report a refused certificate with
  ``certificate_refusal`` (``HttpNotifier`` does both);
- test against the real receivers of :mod:`pulse_core.testing.receivers`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Mapping

from pydantic import BaseModel

if TYPE_CHECKING:
    from pulse_core.contract.outbound import OutboundPolicy

#: ``report`` carries a document to attach (see :class:`pulse_core.contract.ReportMessage`);
#: only notifiers that send files (``email``) are given one.
NotificationKind = Literal["status_change", "reminder", "summary", "test", "report"]


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
    receiver's ``Retry-After``; ``rate_limited`` (a 429) pauses the whole notifier for that
    long instead of counting as a failed attempt."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after_s: float | None = None,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after_s = retry_after_s
        self.rate_limited = rate_limited


class Notifier(abc.ABC):
    """Sends notifications to one configured receiver.

    - ``type_name``: the key that selects this notifier in a ``notifiers[]`` entry
      (``slack: {webhookUrl: ...}`` selects ``slack``).
    - ``options_model``: a pydantic model validating that block.
    - ``outbound``: the installation's outbound policy; check every destination with it
      before connecting.
    - ``secret_keys``: option keys (lower case, any depth) whose values the API shows as
      ``***``; URLs are shown as scheme and host only, header values always hidden.
    """

    type_name: ClassVar[str]
    options_model: ClassVar[type[BaseModel]]
    secret_keys: ClassVar[frozenset[str]] = frozenset(
        {"token", "password", "secret", "authorization", "apikey", "api_key"}
    )

    def __init__(self, name: str, options: BaseModel, outbound: OutboundPolicy) -> None:
        self.name = name
        self.options = options
        self.outbound = outbound

    async def start(self) -> None:
        """Acquire shared resources (an HTTP client, an SMTP connection pool)."""

    async def close(self) -> None:
        """Release what :meth:`start` acquired."""

    @abc.abstractmethod
    async def deliver(self, notification: Notification) -> Receipt:
        """Send one notification; raise :class:`DeliveryError` if it did not arrive.

        Called under a timeout set by the core, for up to ``alerting.concurrency``
        notifications of one notifier at once (so shared state must allow that); the
        notifications of one endpoint come one at a time, in the order they were queued. A
        ``reference`` in the notification is what an earlier :class:`Receipt` of the same
        ``thread_key`` returned."""

