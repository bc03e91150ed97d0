"""Pulse's entry point into this distribution: registers the SQL store."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core.contract import Store, hookimpl

from pulse_store_sql.store import SqlStore


@hookimpl
def pulse_register_stores(register: Callable[[type[Store]], None]) -> None:
    register(SqlStore)
