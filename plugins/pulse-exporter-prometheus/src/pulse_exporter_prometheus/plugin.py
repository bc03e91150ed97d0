"""Hooks of the Prometheus exporter: the ``/api/metrics`` route and the ``metrics:`` section."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel
from quart import Blueprint

from pulse_core import hookimpl
from pulse_exporter_prometheus.route import blueprint
from pulse_exporter_prometheus.settings import MetricsSection


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)


@hookimpl
def pulse_config_sections(register: Callable[[str, type[BaseModel]], None]) -> None:
    register("metrics", MetricsSection)
