"""``GET /api/integrations`` (notifiers, their redacted options and delivery health),
``GET /api/integrations/dead-letters`` and ``POST /api/integrations/{name}/test``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quart import Blueprint, current_app, request
from quart_schema import tag_blueprint

from pulse_core.alerting.engine import AlertEngine, UnknownNotifier
from pulse_core.alerting.redact import public_options
from pulse_core.notifier import DeliveryError
from pulse_core.outbox import OutboxHealth, OutboxMessage
from pulse_core.web.access import Role, requires
from pulse_core.web.errors import ApiError, not_found
from pulse_core.web.params import parse_int
from pulse_core.web.serialize import iso

blueprint = Blueprint("integrations", __name__)
tag_blueprint(blueprint, ["Integrations"])

DEAD_LETTERS_LIMIT = 100


def _engine() -> AlertEngine:
    engine: AlertEngine = current_app.config["PULSE"].alerts
    return engine


def _health_json(health: OutboxHealth) -> dict[str, Any]:
    return {
        "sent": health.sent,
        "failed": health.failed,
        "pending": health.pending,
        "lastSuccessTs": iso(health.last_success_ts),
        "lastError": health.last_error,
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
        "error": message.last_error,
        "message": variables.get("message"),
        "endpointId": variables.get("endpoint", {}).get("id") or None,
        "status": variables.get("status"),
    }


@blueprint.get("/api/integrations")
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
async def list_dead_letters() -> dict[str, Any]:
    """Notifications given up (permanent error, or older than max_age), newest first"""
    limit = parse_int(
        request.args, "limit", DEAD_LETTERS_LIMIT, minimum=1, maximum=1000
    )
    messages = await _engine().store.dead_letters(limit)
    return {"items": [_dead_letter_json(message) for message in messages]}


@blueprint.post("/api/integrations/<name>/test")
@requires(Role.EDITOR)
async def send_test(name: str) -> dict[str, Any]:
    """Send a test message through one notifier now and return the receiver's answer"""
    try:
        receipt = await _engine().send_test(name)
    except UnknownNotifier:
        raise not_found(f"notifier '{name}'") from None
    except DeliveryError as error:
        raise ApiError(502, f"{name}: {error}", permanent=error.permanent) from None
    except TimeoutError:
        raise ApiError(504, f"{name}: no answer in time") from None
    return {"detail": receipt.detail, "reference": receipt.reference}


def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    """Called by the alerting plugin, which owns the engine these routes read."""
    register(blueprint)
