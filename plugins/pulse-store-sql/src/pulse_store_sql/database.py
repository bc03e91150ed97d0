"""From ``storage.url`` to a SQLAlchemy engine tuned for this store."""

from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

#: How long a SQLite connection waits for another process's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 5000
#: Page caches of SQLite connections, in KiB (SQLite's default is 2,000 KiB on each). A cache,
#: once filled, stays resident for the life of its connection: SQLite held about 3 MB above
#: an idle Pulse at 20,000 endpoints, a sixth of the goal for all of Pulse (1 KB per
#: endpoint, measured in docs/performance.md). The
#: writer's cache pays for itself in rolling up and packing (``bench/storage.py``: 256 KiB
#: cost 20 % more CPU there than 2,000 KiB); readers serve the API (history, exports),
#: which reads mostly sequential ranges that a big cache does little for.
SQLITE_WRITER_CACHE_KIB = 1024
SQLITE_READER_CACHE_KIB = 256

_EXAMPLES = "for example sqlite:///pulse.db or postgresql://pulse@db.example/pulse"


def database_url(url: str) -> URL:
    """Parse ``url`` and pick the driver: ``postgresql://`` means psycopg 3.

    Raises ``ValueError`` with a message for people when the URL cannot serve this store.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"storage.url is not a database URL ({_EXAMPLES})") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        # A bare ``postgresql://`` would pick psycopg2; psycopg 3 is what this store ships with.
        if parsed.drivername == backend:
            return parsed.set(drivername="postgresql+psycopg")
        return parsed
    if backend != "sqlite":
        raise ValueError(
            f"storage.url: the SQL store speaks SQLite and PostgreSQL, not {backend!r}"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise ValueError(
            "storage.url: SQLite needs a file path, e.g. sqlite:///pulse.db; an in-memory "
            "database would be lost at exit and cannot be shared between the store's threads"
        )
    return parsed.set(database=str(Path(parsed.database).expanduser()))


def create_database_engine(
    url: URL, connections: int, *, cache_kib: int = SQLITE_WRITER_CACHE_KIB
) -> Engine:
    """An engine with a pool of ``connections`` (one per thread that uses it).

    For SQLite it creates the file's directory, puts every connection in WAL mode, so
    readers never wait for the writer, and gives it a page cache of ``cache_kib``; a pool
    hands any of its connections to any thread, so readers and writer need an engine each
    for different caches. PostgreSQL's caches belong to the server, and its engines are the
    same either way.
    """
    if url.get_backend_name() == "sqlite":
        assert url.database is not None  # database_url() guarantees a file path
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=connections, max_overflow=0)
        event.listen(engine, "connect", partial(_tune_sqlite_connection, cache_kib=cache_kib))
        return engine
    # pre-ping: a pooled connection that died with a server restart is replaced, not used.
    return create_engine(url, pool_size=connections, max_overflow=0, pool_pre_ping=True)


def _tune_sqlite_connection(
    connection: sqlite3.Connection, _record: Any, *, cache_kib: int
) -> None:
    """WAL with ``synchronous=NORMAL``: a commit costs no fsync (the WAL is synced at
    checkpoints) and survives a crash of the process; only power loss can take the last
    commits. ``foreign_keys`` makes SQLite enforce what PostgreSQL enforces anyway. A
    negative ``cache_size`` is in KiB."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA cache_size=-{cache_kib}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
