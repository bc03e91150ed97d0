"""Databases for the store's tests: a SQLite file of the test's own, or a PostgreSQL schema
of the test's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg import sql

from pulse_core.testing.postgresql import POSTGRESQL_SERVER, postgresql_admin


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    """A schema of the test's own in the test database, dropped afterwards; the URL puts it
    first on the search path (and is plain ``postgresql://``, as users write it)."""
    schema = f"pulse_test_{uuid.uuid4().hex[:12]}"
    with postgresql_admin() as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            yield f"{POSTGRESQL_SERVER}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database the store speaks, in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pulse.db'}"
    url: str = request.getfixturevalue("postgresql_url")
    return url
