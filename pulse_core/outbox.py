"""The durable outbox's records: notifications kept by the store until they are delivered.

Every notification is written here before anything is sent (see ``docs/alerting.md``), so a
crash or restart never loses one: pending messages are picked up again at start-up. The
store only keeps and queries them; the alert engine decides what to send and when.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    #: given up: a permanent error, or not delivered within ``max_age`` (a dead letter)
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One notification for one notifier, with the state of its delivery.

    ``id`` is derived from what caused the notification, so queuing the same change twice
    keeps one message. ``variables`` are the template variables (JSON-serialisable).
    ``reference`` is what the receiver answered on delivery (a ServiceNow ``sys_id``), found
    again for later messages of the same ``thread_key``.
    """

    id: str
    notifier: str
    kind: str
    variables: Mapping[str, Any]
    created_ts: float
    thread_key: str | None = None
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    next_attempt_ts: float = 0.0
    last_attempt_ts: float | None = None
    last_error: str | None = None
    delivered_ts: float | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxHealth:
    """Delivery counts of one notifier over the messages kept."""

    notifier: str
    sent: int = 0
    failed: int = 0
    pending: int = 0
    last_success_ts: float | None = None
    last_error: str | None = None
    last_error_ts: float | None = None
