"""The built-in alerting plugin: claims the alerting sections of the YAML and feeds the
running Pulse's :class:`~pulse_core.alerting.engine.AlertEngine` from the event hooks.

It is an object, not a module, because the ``notifiers`` section can only be validated
against the notifier types and webhook dialects of its own plugin host (see
``config.notifiers_section``); ``pulse_core.app.load_plugins`` builds it with that host's
lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel
from quart import Blueprint

from pulse_core import hookimpl
from pulse_core.alerting.config import NotifierTypes, WebhookDialects, notifiers_section
from pulse_core.alerting.setup import SECTION_MODELS, Report, check_references
from pulse_core.web.api import integrations

if TYPE_CHECKING:
    from pulse_core.alerting.engine import AlertEngine
    from pulse_core.config.model import PulseConfig
    from pulse_core.models import Endpoint, StatusChange

PLUGIN_NAME = "pulse_core.alerting"


class Alerting(Protocol):
    """What these hooks need of the running Pulse: its alert engine, nothing else."""

    @property
    def alerts(self) -> AlertEngine: ...


class AlertingPlugin:
    def __init__(
        self, notifier_types: NotifierTypes, webhook_dialects: WebhookDialects
    ) -> None:
        self._notifier_types = notifier_types
        self._webhook_dialects = webhook_dialects

    @hookimpl
    def pulse_config_sections(
        self, register: Callable[[str, type[BaseModel]], None]
    ) -> None:
        register(
            "notifiers", notifiers_section(self._notifier_types, self._webhook_dialects)
        )
        for name, model in SECTION_MODELS.items():
            register(name, model)

    @hookimpl
    def pulse_check_config(self, config: PulseConfig, report: Report) -> None:
        check_references(config, report)

    @hookimpl
    def pulse_register_blueprints(self, register: Callable[[Blueprint], None]) -> None:
        integrations.pulse_register_blueprints(register)

    @hookimpl
    async def pulse_status_changed(
        self, app: Alerting, change: StatusChange, endpoint: Endpoint
    ) -> None:
        await app.alerts.status_changed(change, endpoint)

    @hookimpl
    async def pulse_config_applied(self, app: Alerting, config: PulseConfig) -> None:
        await app.alerts.apply(config)
