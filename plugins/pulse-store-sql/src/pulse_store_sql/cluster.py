"""``Coordination`` on PostgreSQL: the database the nodes share is the cluster's engine.

Membership, leases and fencing are rows (``membership``, ``fencing``); cluster-wide locks
are session advisory locks, and messages are ``NOTIFY``/``LISTEN``. Each runs on a psycopg
connection of its own, in autocommit and on the event loop (the store's SQLAlchemy
connections live in threads and transactions, which none of this needs):

- statements (join, heartbeat, nodes, leave, publish): re-made when lost;
- locks: advisory locks belong to a session, so its loss is the loss of every lock;
- one per ``listen``, kept up by its ``Subscription``;
- a short-lived one per ``declare_dead``, which may wait for the dead node's write in
  progress and must not hold up this node's heartbeats meanwhile.

Advisory locks and channels belong to the whole database, while a store's tables belong to
the schema first on its search path; both are named after that schema too, so two Pulse
clusters in two schemas of one database never take each other's locks or messages.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Engine

from pulse_core.contract import (
    Coordination,
    LeaseLost,
    Listener,
    NodeNameTaken,
    NodeRecord,
    NodeStats,
    StoreUnavailable,
)
from pulse_store_sql import membership
from pulse_store_sql.fencing import Fence
from pulse_store_sql.runner import DatabaseRunner, driver_reason
from pulse_store_sql.subscription import Connect, Subscription

T = TypeVar("T")

#: how long making a connection may take before the database counts as unreachable
CONNECT_TIMEOUT_S = 5


class PostgresCoordination(Coordination):
    """The coordination of the nodes that share the PostgreSQL database of one store."""

    def __init__(self, runner: DatabaseRunner) -> None:
        self._runner = runner
        self._connect = connector(runner.writer_engine)
        self._statements: psycopg.AsyncConnection[Any] | None = None
        self._statements_lock = asyncio.Lock()
        self._locks: psycopg.AsyncConnection[Any] | None = None
        self._locks_lock = asyncio.Lock()
        self._held: set[str] = set()
        self._subscriptions: list[Subscription] = []
        self._namespace: str | None = None

    # -- membership ---------------------------------------------------------------------------
    async def join(self, name: str, site: str, lease_s: float, stats: NodeStats) -> int:
        epoch = await self._statement(
            lambda connection: membership.join(connection, name, site, lease_s, stats)
        )
        if epoch is None:
            raise NodeNameTaken(
                f"a live node of the cluster is named {name!r}: give this node another "
                "cluster node name, or stop the other one"
            )
        return epoch

    async def heartbeat(self, name: str, epoch: int, lease_s: float, stats: NodeStats) -> None:
        renewed = await self._statement(
            lambda connection: membership.heartbeat(connection, name, epoch, lease_s, stats)
        )
        if not renewed:
            raise LeaseLost(f"node {name!r} (epoch {epoch}) was declared dead by another node")

    async def nodes(self) -> list[NodeRecord]:
        return await self._statement(membership.nodes)

    async def declare_dead(self, name: str, epoch: int) -> bool:
        try:
            async with await self._connect("declare dead") as connection:
                return await membership.declare_dead(connection, name, epoch)
        except psycopg.OperationalError as error:
            raise StoreUnavailable(driver_reason(error)) from error

    async def leave(self, name: str, epoch: int) -> None:
        await self._statement(lambda connection: membership.leave(connection, name, epoch))

    def fence(self, name: str, epoch: int) -> None:
        self._runner.fence = Fence(name, epoch)

    # -- locks --------------------------------------------------------------------------------
    async def try_lock(self, job: str) -> bool:
        key = lock_key(await self.namespace(), job)
        async with self._locks_lock:
            try:
                return await self._take(job, key)
            except psycopg.OperationalError:
                self._lose_locks()  # and with the session every lock: try on a new one
            try:
                return await self._take(job, key)
            except psycopg.OperationalError as error:
                self._lose_locks()
                raise StoreUnavailable(driver_reason(error)) from error

    async def unlock(self, job: str) -> None:
        key = lock_key(await self.namespace(), job)
        async with self._locks_lock:
            if job not in self._held:
                return
            self._held.discard(job)
            if self._locks is None:
                return
            try:
                await self._locks.execute("SELECT pg_advisory_unlock(%s)", (key,))
            except psycopg.OperationalError:
                self._lose_locks()  # the session ended: the lock went with it

    # -- messages -----------------------------------------------------------------------------
    async def publish(self, channel: str, payload: str) -> None:
        size = len(payload.encode())
        if size > self.max_payload:
            raise ValueError(
                f"a cluster message carries at most {self.max_payload} bytes, not {size}"
            )
        wire = channel_name(await self.namespace(), channel)
        await self._statement(
            lambda connection: connection.execute("SELECT pg_notify(%s, %s)", (wire, payload))
        )

    async def listen(self, channels: tuple[str, ...], listener: Listener) -> None:
        namespace = await self.namespace()
        subscription = Subscription(
            self._connect, {channel_name(namespace, channel): channel for channel in channels},
            listener,
        )
        await subscription.start()
        self._subscriptions.append(subscription)

    async def close(self) -> None:
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            await subscription.stop()
        async with self._locks_lock:
            if self._locks is not None:
                await self._locks.close()  # the session's end lets go of its locks
            self._lose_locks()
        async with self._statements_lock:
            if self._statements is not None:
                statements, self._statements = self._statements, None
                await statements.close()

    # -- plumbing -----------------------------------------------------------------------------
    async def namespace(self) -> str:
        """The database and schema the store's tables are in (see the module's docstring)."""
        if self._namespace is None:
            self._namespace = await self._statement(_current_schema)
        return self._namespace

    async def _statement(
        self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]
    ) -> T:
        """Run ``work`` on the statements connection, made anew when it was lost."""
        async with self._statements_lock:
            try:
                if self._statements is None or self._statements.closed:
                    self._statements = await self._connect("statements")
                return await work(self._statements)
            except psycopg.OperationalError as error:
                if self._statements is not None and self._statements.broken:
                    self._statements = None
                raise StoreUnavailable(driver_reason(error)) from error

    async def _take(self, job: str, key: int) -> bool:
        connection = await self._lock_connection()
        if job in self._held:
            await connection.execute("SELECT 1")  # the session, and so the lock, lives
            return True
        cursor = await connection.execute("SELECT pg_try_advisory_lock(%s)", (key,))
        row = await cursor.fetchone()
        if row is not None and row[0]:
            self._held.add(job)
            return True
        return False

    async def _lock_connection(self) -> psycopg.AsyncConnection[Any]:
        if self._locks is None or self._locks.closed:
            self._lose_locks()
            self._locks = await self._connect("locks")
        return self._locks

    def _lose_locks(self) -> None:
        """The locks connection ended, and with it every lock it held: forget them, so that
        ``try_lock`` takes them again (or sees another node took them)."""
        self._locks = None
        self._held.clear()


def connector(engine: Engine) -> Connect:
    """Make psycopg connections in autocommit to the database of ``engine``, with the same
    settings (host, user, password, search path) as the store's own connections, each named
    after its purpose for whoever reads ``pg_stat_activity``."""
    _, arguments = engine.dialect.create_connect_args(engine.url)
    arguments = {key: value for key, value in arguments.items() if key != "context"}

    async def connect(purpose: str) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(
            **arguments,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=f"pulse cluster {purpose}",
        )

    return connect


def lock_key(namespace: str, job: str) -> int:
    """The advisory lock key (a signed 64-bit integer) of ``job`` in ``namespace``."""
    digest = hashlib.blake2b(f"{namespace}\0{job}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def channel_name(namespace: str, channel: str) -> str:
    """The ``NOTIFY`` channel of ``channel`` in ``namespace``: a digest, so it is a short
    identifier whatever the schema and channel are called."""
    digest = hashlib.blake2b(f"{namespace}\0{channel}".encode(), digest_size=12).hexdigest()
    return f"pulse_{digest}"


async def _current_schema(connection: psycopg.AsyncConnection[Any]) -> str:
    cursor = await connection.execute("SELECT current_database() || '.' || current_schema()")
    row = await cursor.fetchone()
    assert row is not None  # a SELECT without FROM returns one row
    return str(row[0])
