"""The core's store contract, run against SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pulse_core.testing.store_conformance import StoreConformance
from pulse_store_sql import SqlStore

POSTGRESQL_SERVER = "postgresql://root@127.0.0.1:5432/test"


class TestSqliteStoreConformance(StoreConformance):
    store_class = SqlStore

    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'pulse.db'}"


class TestPostgresqlStoreConformance(StoreConformance):
    store_class = SqlStore

    @pytest.fixture
    def store_url(self) -> Iterator[str]:
        """A schema of the test's own in the test database, dropped afterwards; the URL puts
        it first on the search path (and is plain ``postgresql://``, as users write it)."""
        schema = f"pulse_test_{uuid.uuid4().hex[:12]}"
        try:
            admin = psycopg.connect(POSTGRESQL_SERVER, autocommit=True)
        except psycopg.OperationalError as error:
            if os.environ.get("CI"):  # CI has PostgreSQL: its absence is a failure there
                raise
            pytest.skip(f"no PostgreSQL at {POSTGRESQL_SERVER}: {error}")
        with admin:
            admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            try:
                yield f"{POSTGRESQL_SERVER}?options=-csearch_path%3D{schema}"
            finally:
                admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
