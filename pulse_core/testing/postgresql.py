"""The PostgreSQL server tests use: ``root`` on 127.0.0.1:5432, trust authentication,
database ``test``. Absent, its tests are skipped, except on CI, which always has one."""

from __future__ import annotations

import os

import psycopg
import pytest

POSTGRESQL_SERVER = "postgresql://root@127.0.0.1:5432/test"


def postgresql_admin() -> psycopg.Connection:
    """An autocommit connection to the server, for creating and dropping what a test uses."""
    try:
        return psycopg.connect(POSTGRESQL_SERVER, autocommit=True)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):  # CI has PostgreSQL: its absence is a failure there
            raise
        pytest.skip(f"no PostgreSQL at {POSTGRESQL_SERVER}: {error}")
