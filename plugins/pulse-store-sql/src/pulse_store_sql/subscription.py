"""One ``LISTEN`` kept up: its own connection, re-made with backoff when lost.

A listening connection only reads, so a dead server or a cut network would go unnoticed
for as long as nothing arrives: every ``PROBE_S`` without a message it sends a query, which
fails on a lost connection. Messages published while it was down are lost (PostgreSQL keeps
none for a session that is not there), which ``Coordination.listen`` tells its callers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import psycopg
from psycopg import sql

from pulse_core.contract import Listener, StoreUnavailable
from pulse_store_sql.runner import driver_reason

log = logging.getLogger(__name__)

#: makes a new connection in autocommit, named after its purpose (``application_name``)
Connect = Callable[[str], Awaitable[psycopg.AsyncConnection[Any]]]

#: seconds without a message after which the connection is probed
PROBE_S = 10.0
#: the first and the longest wait between attempts to connect again
BACKOFF_FIRST_S = 0.2
BACKOFF_MAX_S = 10.0


class Subscription:
    """Calls ``listener`` with (channel, payload) for each message on ``channels`` (wire
    name -> the caller's name), on the event loop, from :meth:`start` to :meth:`stop`."""

    def __init__(
        self,
        connect: Connect,
        channels: Mapping[str, str],
        listener: Listener,
    ) -> None:
        self._connect = connect
        self._channels = dict(channels)
        self._listener = listener
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen from now on; raises ``StoreUnavailable`` when the first connection fails,
        so that a node that cannot listen does not start believing it does."""
        try:
            connection = await self._subscribed()
        except psycopg.OperationalError as error:
            raise StoreUnavailable(driver_reason(error)) from error
        self._task = asyncio.create_task(self._run(connection), name="pulse-cluster-listen")

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, connection: psycopg.AsyncConnection[Any]) -> None:
        while True:
            try:
                async with connection:
                    await self._deliver(connection)
            except psycopg.OperationalError as error:
                log.warning(
                    "cluster messages: lost the connection to the database (%s); "
                    "connecting again", driver_reason(error),
                )
            connection = await self._reconnected()
            log.warning("cluster messages: connected to the database again")

    async def _deliver(self, connection: psycopg.AsyncConnection[Any]) -> None:
        while True:
            async for notify in connection.notifies(timeout=PROBE_S):
                channel = self._channels.get(notify.channel)
                if channel is not None:
                    self._call(channel, notify.payload)
            await connection.execute("SELECT 1")

    def _call(self, channel: str, payload: str) -> None:
        try:
            self._listener(channel, payload)
        except Exception:  # a listener's bug must not end the listening for every other
            log.exception("cluster messages: the listener failed on channel %r", channel)

    async def _reconnected(self) -> psycopg.AsyncConnection[Any]:
        wait_s = BACKOFF_FIRST_S
        while True:
            await asyncio.sleep(wait_s)
            try:
                return await self._subscribed()
            except psycopg.OperationalError:
                wait_s = min(wait_s * 2, BACKOFF_MAX_S)

    async def _subscribed(self) -> psycopg.AsyncConnection[Any]:
        connection = await self._connect("listen")
        try:
            await connection.execute(
                sql.SQL("; ").join(
                    sql.SQL("LISTEN {}").format(sql.Identifier(wire)) for wire in self._channels
                )
            )
        except BaseException:
            await connection.close()
            raise
        return connection

