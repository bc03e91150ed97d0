"""The PostgreSQL server tests use: ``root`` on 127.0.0.1:5432, trust authentication,
database ``test``. Absent, its tests are skipped, except on CI, which always has one."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

POSTGRESQL_SERVER = "postgresql://root@127.0.0.1:5432/test"


def postgresql_admin() -> psycopg.Connection:
    """An autocommit connection to the server, for creating and dropping what a test uses."""
    try:
        return psycopg.connect(POSTGRESQL_SERVER, autocommit=True)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):  # CI has PostgreSQL: its absence is a failure there
            raise
        pytest.skip(f"no PostgreSQL at {POSTGRESQL_SERVER}: {error}")


@contextlib.contextmanager
def postgresql_schema() -> Iterator[str]:
    """A schema of the test's own on the server, as a store URL whose connections use it
    (several stores on that URL share it, as the nodes of a cluster do); dropped afterwards."""
    schema = f"pulse_test_{uuid.uuid4().hex[:12]}"
    with postgresql_admin() as admin:  # a connection each: a test may restart the server
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield f"{POSTGRESQL_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with postgresql_admin() as admin:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
