"""Databases for the store's tests: a SQLite file of the test's own, or a PostgreSQL schema
of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pulse_core.testing.postgresql import postgresql_schema


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    """A schema of the test's own in the test database, dropped afterwards; the URL puts it
    first on the search path (and is plain ``postgresql://``, as users write it)."""
    with postgresql_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database the store speaks, in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pulse.db'}"
    url: str = request.getfixturevalue("postgresql_url")
    return url
