"""Hooks of the Prometheus exporter: the ``/api/metrics`` route and the ``metrics:`` section."""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import BaseModel
from quart import Blueprint

from pulse_core.contract import PulseView, hookimpl
from pulse_exporter_prometheus.route import blueprint
from pulse_exporter_prometheus.settings import MetricsSection


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)


@hookimpl
def pulse_config_sections(register: Callable[[str, type[BaseModel]], None]) -> None:
    register("metrics", MetricsSection)


@hookimpl
def pulse_startup(app: PulseView) -> None:
    """Say whether the metrics are open: they name every endpoint, and the route is open by
    default, so whoever runs Pulse on a shared network should hear it once."""
    section = app.config.sections.get("metrics")
    if section is not None and section.token:
        logging.getLogger("pulse.metrics").info("GET /api/metrics needs metrics.token")
    else:
        logging.getLogger("pulse.metrics").info(
            "GET /api/metrics is open to anyone who can reach Pulse (it lists every endpoint's "
            "name, group and id): set metrics.token to require a bearer token"
        )
