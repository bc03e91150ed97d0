"""``GET /api/integrations`` (notifiers, their redacted options and delivery health),
``GET /api/integrations/dead-letters`` and ``POST /api/integrations/{name}/test``."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from pydantic import Field
from quart import Blueprint, current_app
from quart_schema import document_response, tag_blueprint, validate_querystring

from pulse_core.alerting.engine import AlertEngine, UnknownNotifier
from pulse_core.alerting.redact import public_options
from pulse_core.contract.access import Role, requires
from pulse_core.contract.api_errors import ApiError, not_found
from pulse_core.contract.openapi import errors
from pulse_core.contract.trust import CERTIFICATE_REFUSED
from pulse_core.notifier import DeliveryError
from pulse_core.outbox import OutboxHealth, OutboxMessage
from pulse_core.web.api.schemas import Shape
from pulse_core.web.serialize import iso

log = logging.getLogger("pulse.alerting")

blueprint = Blueprint("integrations", __name__)
tag_blueprint(blueprint, ["Integrations"])

DEAD_LETTERS_LIMIT = 100
#: the longest answer text an API caller sees
STATUS_MAX_CHARS = 160
#: the longest receiver's reference an API caller sees (a Jira key, a ServiceNow sys_id)
REFERENCE_MAX_CHARS = 64
#: Pulse's words for a receiver's status: an HTTP status, a Splunk HEC code, an SMTP reply
_STATUS_WORDS = re.compile(r"HTTP (?P<http>\d{3})|HEC code -?\d+|SMTP \d{3}")


def short_status(text: str | None) -> str | None:
    """What a receiver answered, as far as API callers may see it.

    A notifier's URL may point anywhere an editor chooses, so what the receiver says back
    (an internal service's page, a token echoed in an error) must not reach the caller:
    a status in Pulse's words (``HTTP 400``, kept with its standard reason ``Bad Request``;
    ``HEC code 7``; ``SMTP 550``) is kept with what Pulse wrote before it and nothing after
    it, the receiver's words staying in Pulse's log; any other text (Pulse's own, such as
    "cannot reach the receiver") is cut to one line of printable characters, at most
    :data:`STATUS_MAX_CHARS`. A refused certificate is Pulse's own reading of the handshake:
    what follows its words (the certificate's subject, cleaned when the message was made) is
    never taken for a receiver's status.
    """
    if text is None:
        return None
    refused = text.find(CERTIFICATE_REFUSED)
    status = _STATUS_WORDS.search(text, 0, refused if refused >= 0 else len(text))
    if status is None:
        return _printable_line(text, STATUS_MAX_CHARS)
    end = status.end()
    if status.group("http") is not None:
        reason = " " + httpx.codes.get_reason_phrase(int(status.group("http")))
        if reason.strip() and text.startswith(reason, end):
            end += len(reason)
    return _printable_line(text[:end], STATUS_MAX_CHARS)


def short_reference(reference: str | None) -> str | None:
    """A receiver's reference as API callers see it: whatever its JSON said, one line of
    printable characters, at most :data:`REFERENCE_MAX_CHARS`."""
    return None if reference is None else _printable_line(reference, REFERENCE_MAX_CHARS)


def _printable_line(text: str, max_chars: int) -> str:
    line = "".join(
        character for character in text.strip().split("\n", 1)[0]
        if character.isprintable()
    )
    return line if len(line) <= max_chars else line[: max_chars - 1] + "…"


class DeliveryHealth(Shape):
    sent: int
    failed: int
    pending: int
    last_success_ts: datetime | None
    last_error: str | None
    last_error_ts: datetime | None


class IntegrationOut(Shape):
    name: str
    type: str
    options: dict[str, Any] = Field(description="the notifier's options, secrets shown as ***")
    health: DeliveryHealth


class IntegrationList(Shape):
    """Every configured notifier."""

    items: list[IntegrationOut]


class DeadLetterOut(Shape):
    id: str
    notifier: str
    kind: str
    created_ts: datetime
    last_attempt_ts: datetime | None
    attempts: int
    error: str | None
    message: str | None
    endpoint_id: str | None
    status: str | None


class DeadLetterList(Shape):
    """Notifications given up, newest first."""

    items: list[DeadLetterOut]


class DeadLettersQuery(Shape):
    limit: int = Field(DEAD_LETTERS_LIMIT, ge=1, le=1000, description="how many, at most")


class TestReceipt(Shape):
    """The receiver's answer to the test message."""

    detail: str
    reference: str | None = Field(
        description="what the receiver made of it (an incident number, say): one line of at "
        "most 64 printable characters"
    )


def _engine() -> AlertEngine:
    engine: AlertEngine = current_app.config["PULSE"].alerts
    return engine


def _health_json(health: OutboxHealth) -> dict[str, Any]:
    return {
        "sent": health.sent,
        "failed": health.failed,
        "pending": health.pending,
        "lastSuccessTs": iso(health.last_success_ts),
        "lastError": short_status(health.last_error),
        "lastErrorTs": iso(health.last_error_ts),
    }


def _dead_letter_json(message: OutboxMessage) -> dict[str, Any]:
    variables = message.variables
    return {
        "id": message.id,
        "notifier": message.notifier,
        "kind": message.kind,
        "createdTs": iso(message.created_ts),
        "lastAttemptTs": iso(message.last_attempt_ts),
        "attempts": message.attempts,
        "error": short_status(message.last_error),
        "message": variables.get("message"),
        "endpointId": variables.get("endpoint", {}).get("id") or None,
        "status": variables.get("status"),
    }


@blueprint.get("/api/integrations")
@document_response(IntegrationList)
async def list_integrations() -> dict[str, Any]:
    """Configured notifiers: type, options with secrets shown as ***, delivery health"""
    engine = _engine()
    health = await engine.health()
    return {
        "items": [
            {
                "name": name,
                "type": notifier.type_name,
                "options": public_options(notifier),
                "health": _health_json(health[name]),
            }
            for name, notifier in engine.notifiers.items()
        ]
    }


@blueprint.get("/api/integrations/dead-letters")
@document_response(DeadLetterList)
@validate_querystring(DeadLettersQuery)
async def list_dead_letters(query_args: DeadLettersQuery) -> dict[str, Any]:
    """Notifications given up (permanent error, or older than max_age), newest first"""
    messages = await _engine().store.dead_letters(query_args.limit)
    return {"items": [_dead_letter_json(message) for message in messages]}


@blueprint.post("/api/integrations/<name>/test")
@requires(Role.EDITOR)
@document_response(TestReceipt)
@errors(502, 504)
async def send_test(name: str) -> dict[str, Any]:
    """Send a test message through one notifier now and return the receiver's answer

    An unknown notifier is a 404; a receiver that refuses or cannot be reached a 502 (with
    `permanent`: whether retrying can help), one that does not answer in time a 504.
    """
    try:
        receipt = await _engine().send_test(name)
    except UnknownNotifier:
        raise not_found(f"notifier '{name}'") from None
    except DeliveryError as error:
        log.warning("the test message of notifier %s failed: %s", name, error)
        raise ApiError(
            502, f"{name}: {short_status(str(error))}", permanent=error.permanent
        ) from None
    except TimeoutError:
        raise ApiError(504, f"{name}: no answer in time") from None
    reference = short_reference(receipt.reference)
    detail = receipt.detail
    if receipt.reference and reference is not None:  # quoted in the detail as it is shown
        detail = detail.replace(receipt.reference, reference)
    return {"detail": short_status(detail), "reference": reference}


def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    """Called by the alerting plugin, which owns the engine these routes read."""
    register(blueprint)
