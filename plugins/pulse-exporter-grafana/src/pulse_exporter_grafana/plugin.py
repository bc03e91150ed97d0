"""Hooks of the Grafana exporter: the ``/api/grafana`` routes."""

from __future__ import annotations

from collections.abc import Callable

from quart import Blueprint

from pulse_core.contract import hookimpl
from pulse_exporter_grafana.routes import blueprint


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
