"""The core's store contract, run against SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulse_core.testing.store_conformance import StoreConformance
from pulse_store_sql import SqlStore


class TestSqliteStoreConformance(StoreConformance):
    store_class = SqlStore

    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'pulse.db'}"


class TestPostgresqlStoreConformance(StoreConformance):
    store_class = SqlStore

    @pytest.fixture
    def store_url(self, postgresql_url: str) -> str:
        return postgresql_url
