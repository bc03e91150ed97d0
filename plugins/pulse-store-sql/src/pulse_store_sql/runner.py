"""Blocking database work, run off the event loop that probes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from pulse_core.contract import StoreUnavailable
from pulse_store_sql.fencing import Fence

T = TypeVar("T")


class DatabaseRunner:
    """Runs functions of a connection in threads.

    Writes go to one dedicated thread, so they are serialised in the order they were
    submitted without any lock, and SQLite, which allows a single writer, never sees two.
    Reads go to a small pool of their own: WAL (and PostgreSQL) let them run beside a write,
    so a dashboard query never waits behind a big batch of checks, nor a batch behind it.

    Each side has its own engine (``writer_engine`` with one connection, ``reader_engine``
    with ``reader_threads``), so each side's connections can be tuned for its work: SQLite
    readers get a smaller page cache (see ``create_database_engine``).

    Once ``fence`` is set (by the cluster coordination), every write transaction first holds
    that membership (``fencing``) and is refused when it is dead.
    """

    def __init__(self, writer_engine: Engine, reader_engine: Engine, reader_threads: int) -> None:
        self.writer_engine = writer_engine
        self.reader_engine = reader_engine
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="pulse-store-writer")
        self._readers = ThreadPoolExecutor(reader_threads, thread_name_prefix="pulse-store-reader")
        self.fence: Fence | None = None

    async def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction on the writer thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self._in_transaction, work)

    async def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` on a reader thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._connected, work)

    async def close(self) -> None:
        """Let submitted work finish, then release the threads and the connections."""
        await asyncio.to_thread(self._writer.shutdown)
        await asyncio.to_thread(self._readers.shutdown)
        self.writer_engine.dispose()
        self.reader_engine.dispose()

    def _in_transaction(self, work: Callable[[Connection], T]) -> T:
        with _connection(self.writer_engine) as connection, _unless_lost(), connection.begin():
            if self.fence is not None:
                self.fence.hold(connection)
            return work(connection)

    def _connected(self, work: Callable[[Connection], T]) -> T:
        with _connection(self.reader_engine) as connection, _unless_lost():
            return work(connection)


class DatabaseRole:
    """The base of the SQL store's role classes (``history``, ``upkeep``, ``accounts``,
    ``config_versions``, ``outbox``, ``nodes``): ``SqlStore`` is made of them, so they share
    the one runner its ``open`` sets, and each hands its work to it as functions of a
    connection."""

    _runner: DatabaseRunner | None = None

    def _open_runner(self) -> DatabaseRunner:
        if self._runner is None:
            raise RuntimeError("the SQL store is not open: await store.open() first")
        return self._runner

    async def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction on the writer thread."""
        return await self._open_runner().write(work)

    async def _read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` on a reader thread."""
        return await self._open_runner().read(work)


def driver_reason(error: Exception) -> str:
    """The driver's own first line (``connection refused``, ``unable to open database
    file``) without SQLAlchemy's wrapping and links; a ``StoreUnavailable`` or an error of
    the driver itself holds just that."""
    message = str(getattr(error, "orig", None) or error).strip()
    return message.splitlines()[0] if message else type(error).__name__


def _connection(engine: Engine) -> Connection:
    """A connection of ``engine``; failing to make one means the database is unreachable."""
    try:
        return engine.connect()
    except DBAPIError as error:
        raise StoreUnavailable(driver_reason(error)) from error


@contextlib.contextmanager
def _unless_lost() -> Iterator[None]:
    """A connection the driver reports broken mid-work (server restarted, backend
    terminated) is an unreachable database too; any other error is the work's own."""
    try:
        yield
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        raise StoreUnavailable(driver_reason(error)) from error
