"""Alerting's registrations: the alerting sections of the YAML, the check of their
cross-references, and the integration routes.

Only registrations: the running Pulse's :class:`~pulse_core.alerting.engine.AlertEngine`
is core wiring, fed by the stored stream (:mod:`pulse_core.stored`) and told of each
configuration by the sequence that runs it (``ConfigChanger.take``), not by event hooks.

It is an object, not a module, because the ``notifiers`` section can only be validated
against the notifier types and webhook dialects of its own plugin host (see
``config.notifiers_section``); ``pulse_core.app.load_plugins`` builds it with that host's
lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel
from quart import Blueprint

from pulse_core import hookimpl
from pulse_core.alerting.config import NotifierTypes, WebhookDialects, notifiers_section
from pulse_core.alerting.setup import SECTION_MODELS, Report, check_references
from pulse_core.web.api import integrations

if TYPE_CHECKING:
    from pulse_core.config.model import PulseConfig

PLUGIN_NAME = "pulse_core.alerting"


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
