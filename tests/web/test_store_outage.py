"""A database that stops answering: routes answer 503 with a reason, never a 500 and a
traceback. Against a real PostgreSQL database the test creates, then closes to connections
(``ALLOW_CONNECTIONS false``) and empties of the connections Pulse holds."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pulse_core.testing.postgresql import postgresql_admin
from pulse_core.testing.server import running_pulse
CONFIG = """
version: 1
defaults: {{interval_seconds: 60}}
groups: [{{id: plant, name: Plant}}]
targets: [{{type: tcp, host: 127.0.0.1, port: 9, group: plant}}]
storage: {{url: "{url}"}}
"""


@pytest.fixture
def database() -> Iterator[tuple[psycopg.Connection, str]]:
    """A database of the test's own, and an administrator's connection to the server."""
    name = f"pulse_outage_{uuid.uuid4().hex[:12]}"
    with postgresql_admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield admin, name
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def allow_connections(admin: psycopg.Connection, name: str, allowed: bool) -> None:
    """Open or close ``name`` to connections; closing also ends those already open."""
    admin.execute(
        sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
            sql.Identifier(name), sql.Literal(allowed)
        )
    )
    if not allowed:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )


async def test_routes_answer_503_while_the_database_is_unreachable(
    database: tuple[psycopg.Connection, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    admin, name = database
    caplog.set_level(logging.INFO)
    url = f"postgresql://root@127.0.0.1:5432/{name}"
    async with running_pulse(CONFIG.format(url=url), tmp_path) as server:
        async with server.client(authenticated=False) as anonymous, server.client() as with_key:
            before = await anonymous.get("/api/auth/setup-required")
            allow_connections(admin, name, False)
            try:
                public = await anonymous.get("/api/auth/setup-required")
                keyed = await with_key.get("/api/apikeys")
                health = await anonymous.get("/api/health")
            finally:
                allow_connections(admin, name, True)
            after = await anonymous.get("/api/auth/setup-required")
    assert before.status_code == 200
    for answer in (public, keyed):
        assert answer.status_code == 503, answer.text
        assert "cannot reach its database" in answer.json()["message"]
        assert answer.json()["store"] == "unreachable"
    assert health.status_code == 503 and health.json()["store"] == "unreachable"
    assert after.status_code == 200
    web_records = [
        record for record in caplog.records
        if record.name.startswith(("pulse.web", "quart", "hypercorn"))
    ]
    assert any("answered 503" in record.getMessage() for record in web_records)
    assert not [record for record in web_records if record.exc_info], caplog.text
