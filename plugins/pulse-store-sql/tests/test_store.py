"""The store's own rules around the contract: URLs, errors people see, registration."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest
from sqlalchemy import Connection

from pulse_core.models import CheckResult, CheckStatus
from pulse_core.store import Store
from pulse_core.testing.store_conformance import add_catalog
from pulse_store_sql import SqlStore, plugin
from pulse_store_sql.database import database_url


def test_plain_postgresql_url_uses_psycopg() -> None:
    assert database_url("postgresql://pulse@db/pulse").drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://pulse@db/pulse").drivername == "postgresql+psycopg"


def test_sqlite_path_may_start_at_home() -> None:
    assert database_url("sqlite:///~/pulse.db").database == str(Path.home() / "pulse.db")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "SQLite needs a file path"),
        ("sqlite:///:memory:", "SQLite needs a file path"),
        ("mysql://pulse@db/pulse", "SQLite and PostgreSQL, not 'mysql'"),
        ("pulse.db", "not a database URL"),
    ],
)
def test_unusable_url_is_refused_in_words(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SqlStore(url)


@pytest.mark.asyncio
async def test_unreachable_server_is_reported_in_one_line() -> None:
    store = SqlStore("postgresql://pulse:secret@127.0.0.1:1/pulse")
    with pytest.raises(ConnectionError) as raised:
        await store.open()
    message = str(raised.value)
    assert message.startswith("cannot open the database postgresql://pulse:***@127.0.0.1:1/")
    assert "secret" not in message and "\n" not in message
    assert await store.ping() is False


@pytest.mark.asyncio
async def test_postgresql_readers_are_left_as_the_writer(postgresql_url: str) -> None:
    """The readers' smaller page cache is a SQLite setting: on PostgreSQL the cache is the
    server's, and both sides connect the same way."""
    store = SqlStore(postgresql_url)
    await store.open()
    try:
        runner = store._open_runner()

        def cache(connection: Connection) -> str:
            return str(connection.exec_driver_sql("SHOW effective_cache_size").scalar_one())

        assert await runner.read(cache) == await runner.write(cache)
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_checks_of_an_endpoint_never_synced_are_refused(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'pulse.db'}")
    await store.open()
    try:
        await add_catalog(store)
        with pytest.raises(LookupError, match="unknown endpoint id 'ghost'"):
            await store.write_checks([CheckResult("ghost", 1.0, CheckStatus.UP, 1.0)])
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_using_a_store_before_open_says_so(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'pulse.db'}")
    with pytest.raises(RuntimeError, match="not open"):
        await store.config_versions()
    assert await store.ping() is False


def test_plugin_registers_the_store_through_its_entry_point() -> None:
    (entry_point,) = [ep for ep in entry_points(group="pulse") if ep.name == "pulse-store-sql"]
    assert entry_point.load() is plugin
    registered: list[type[Store]] = []
    plugin.pulse_register_stores(registered.append)
    assert registered == [SqlStore]
    assert SqlStore.url_schemes == ("sqlite", "postgresql")
