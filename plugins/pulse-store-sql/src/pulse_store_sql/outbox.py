"""The outbox of notifications (``pulse_core.outbox``): its table, and the outbox role.

One row per message; the table lives in this module (on the store's ``metadata``) because
nothing else touches it. Delivery updates a row in one statement, so a message is either
pending or delivered, never half of each; the alert engine reads pending rows at start-up.
Beside it, one row per endpoint keeps the alert engine's announced-up-to mark, raised in
the transaction that adds the messages of a change (``Store.add_to_outbox``).

In a cluster, a message belongs to the node that claimed it (``claimed_by`` in membership
``claimed_epoch``): the node that added it, or the node that took it over from a node no
longer alive (:func:`_claim_pending`). Without a fence, nothing is claimed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    Row,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)

from pulse_core.contract import Outbox, OutboxHealth, OutboxMessage, OutboxState
from pulse_store_sql import membership
from pulse_store_sql.fencing import Fence
from pulse_store_sql.millis import from_ms, optional_from_ms, optional_to_ms, to_ms
from pulse_store_sql.runner import DatabaseRole
from pulse_store_sql.tables import add_missing_columns, metadata
from pulse_store_sql.upsert import insert_missing

outbox = Table(
    "outbox",
    metadata,
    Column("id", Text, primary_key=True),
    Column("notifier", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("variables", Text, nullable=False),
    Column("thread_key", Text),
    Column("created_ms", BigInteger, nullable=False),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_ms", BigInteger, nullable=False),
    Column("last_attempt_ms", BigInteger),
    Column("last_error", Text),
    Column("delivered_ms", BigInteger),
    Column("reference", Text),
    Column("claimed_by", Text),
    Column("claimed_epoch", BigInteger),
    # Start-up and dead letters: WHERE state = ? ORDER BY created_ms / last_attempt_ms
    Index("ix_outbox_state_created", "state", "created_ms"),
    # Recovery messages: WHERE notifier = ? AND thread_key = ?
    Index("ix_outbox_thread", "notifier", "thread_key"),
)

outbox_announced = Table(
    "outbox_announced",
    metadata,
    Column("endpoint_id", Text, primary_key=True),
    Column("announced_ms", BigInteger, nullable=False),
)


def add_claim_columns(connection: Connection) -> None:
    """Databases made before clusters have no claim columns; added empty (unclaimed)."""
    add_missing_columns(connection, "outbox", {"claimed_by": "TEXT", "claimed_epoch": "BIGINT"})


class SqlOutbox(Outbox, DatabaseRole):
    """Messages as rows of ``outbox``, claimed by the node of the runner's fence if any."""

    async def add_to_outbox(
        self, messages: Sequence[OutboxMessage], announced: Mapping[str, float] | None = None
    ) -> int:
        """Add the messages not kept yet, claimed by this node when the store is fenced."""
        if not messages and not announced:
            return 0
        claim = _claim(self._open_runner().fence)

        def work(connection: Connection) -> int:
            _raise_marks(connection, announced or {})
            kept = set(
                connection.scalars(
                    select(outbox.c.id).where(outbox.c.id.in_([m.id for m in messages]))
                )
            )
            new = [{**_row(message), **claim} for message in messages if message.id not in kept]
            if new:  # another node may add the same id meanwhile: the insert then keeps theirs
                connection.execute(insert_missing(connection, outbox, ["id"]), new)
            return len(new)

        return await self._write(work)

    async def announced_up_to(self) -> dict[str, float]:
        return await self._read(_announced_up_to)

    async def pending_messages(self) -> list[OutboxMessage]:
        claimant = self._open_runner().fence
        if claimant is None:
            return await self._read(_pending)
        return await self._write(partial(_claim_pending, claimant=claimant))

    async def update_message(self, message: OutboxMessage) -> None:
        await self.update_messages([message])

    async def update_messages(self, messages: Sequence[OutboxMessage]) -> None:
        """Several outcomes in one transaction."""

        def work(connection: Connection) -> None:
            for message in messages:
                _update_outcome(connection, message)

        await self._write(work)

    async def dead_letters(self, limit: int) -> list[OutboxMessage]:
        query = (
            select(outbox)
            .where(outbox.c.state == OutboxState.DEAD.value)
            .order_by(outbox.c.last_attempt_ms.desc(), outbox.c.id)
            .limit(limit)
        )
        return await self._read(
            lambda connection: [_message(row) for row in connection.execute(query)]
        )

    async def thread_reference(self, notifier: str, thread_key: str) -> str | None:
        query = (
            select(outbox.c.reference)
            .where(
                outbox.c.notifier == notifier,
                outbox.c.thread_key == thread_key,
                outbox.c.state == OutboxState.DELIVERED.value,
                outbox.c.reference.is_not(None),
            )
            .order_by(outbox.c.delivered_ms, outbox.c.id)
            .limit(1)
        )
        reference: str | None = await self._read(lambda connection: connection.scalar(query))
        return reference

    async def outbox_health(self) -> dict[str, OutboxHealth]:
        return await self._read(_health)

    async def prune_outbox(self, before: float) -> int:
        statement = delete(outbox).where(
            outbox.c.state != OutboxState.PENDING.value,
            outbox.c.created_ms < to_ms(before),
        )
        return await self._write(lambda connection: connection.execute(statement).rowcount)


def _raise_marks(connection: Connection, announced: Mapping[str, float]) -> None:
    """Insert the marks not kept yet, then raise the kept ones that are lower."""
    if not announced:
        return
    rows = [
        {"endpoint_id": endpoint_id, "announced_ms": to_ms(ts)}
        for endpoint_id, ts in announced.items()
    ]
    connection.execute(insert_missing(connection, outbox_announced, ["endpoint_id"]), rows)
    connection.execute(
        update(outbox_announced)
        .where(
            outbox_announced.c.endpoint_id == bindparam("mark_endpoint"),
            outbox_announced.c.announced_ms < bindparam("mark_ms"),
        )
        .values(announced_ms=bindparam("mark_ms")),
        [{"mark_endpoint": row["endpoint_id"], "mark_ms": row["announced_ms"]} for row in rows],
    )


def _announced_up_to(connection: Connection) -> dict[str, float]:
    return {
        endpoint_id: from_ms(ms)
        for endpoint_id, ms in connection.execute(
            select(outbox_announced.c.endpoint_id, outbox_announced.c.announced_ms)
        )
    }


def _pending(connection: Connection) -> list[OutboxMessage]:
    rows = connection.execute(
        select(outbox)
        .where(outbox.c.state == OutboxState.PENDING.value)
        .order_by(outbox.c.created_ms, outbox.c.id)
    )
    return [_message(row) for row in rows]


def _claim_pending(connection: Connection, claimant: Fence) -> list[OutboxMessage]:
    """Claim for ``claimant`` and return the pending messages that no other live membership
    claimed: unclaimed ones, its own, and those of a node dead, lapsed, gone or since joined
    again. One statement: ``SKIP LOCKED`` passes over the rows another node is claiming at
    the same moment, and a row it claimed meanwhile is checked again as it now is, so no
    two nodes ever both get a message."""
    nodes = membership.nodes_table
    claimed_by_live_node = exists().where(
        nodes.c.name == outbox.c.claimed_by,
        nodes.c.epoch == outbox.c.claimed_epoch,
        ~nodes.c.dead,
        nodes.c.lease_until > func.now(),
    )
    claimable = (
        select(outbox.c.id)
        .where(
            outbox.c.state == OutboxState.PENDING.value,
            or_(
                outbox.c.claimed_by.is_(None),
                and_(
                    outbox.c.claimed_by == claimant.name,
                    outbox.c.claimed_epoch == claimant.epoch,
                ),
                ~claimed_by_live_node,
            ),
        )
        .with_for_update(skip_locked=True)
    )
    rows = connection.execute(
        update(outbox)
        .where(outbox.c.id.in_(claimable))
        .values(_claim(claimant))
        .returning(*outbox.c)
    )
    return [_message(row) for row in sorted(rows, key=lambda row: (row.created_ms, row.id))]


def _update_outcome(connection: Connection, message: OutboxMessage) -> None:
    values = _row(message)
    for unchanged in (
        "id",
        "notifier",
        "kind",
        "variables",
        "thread_key",
        "created_ms",
    ):
        del values[unchanged]
    connection.execute(update(outbox).where(outbox.c.id == message.id).values(values))


def _health(connection: Connection) -> dict[str, OutboxHealth]:
    counts: dict[str, dict[str, Any]] = {}
    for notifier, state, count, delivered_ms in connection.execute(
        select(
            outbox.c.notifier,
            outbox.c.state,
            func.count(),
            func.max(outbox.c.delivered_ms),
        ).group_by(outbox.c.notifier, outbox.c.state)
    ):
        entry = counts.setdefault(notifier, {})
        entry[state] = count
        if state == OutboxState.DELIVERED.value:
            entry["last_success_ts"] = optional_from_ms(delivered_ms)
    latest = (
        select(outbox.c.notifier, func.max(outbox.c.last_attempt_ms).label("ms"))
        .where(outbox.c.last_error.is_not(None))
        .group_by(outbox.c.notifier)
        .subquery()
    )
    for notifier, error, error_ms in connection.execute(
        select(outbox.c.notifier, outbox.c.last_error, outbox.c.last_attempt_ms).join(
            latest,
            and_(
                outbox.c.notifier == latest.c.notifier,
                outbox.c.last_attempt_ms == latest.c.ms,
            ),
        )
    ):
        entry = counts.setdefault(notifier, {})
        entry["last_error"], entry["last_error_ts"] = error, from_ms(error_ms)
    return {
        notifier: OutboxHealth(
            notifier,
            sent=entry.get(OutboxState.DELIVERED.value, 0),
            failed=entry.get(OutboxState.DEAD.value, 0),
            pending=entry.get(OutboxState.PENDING.value, 0),
            last_success_ts=entry.get("last_success_ts"),
            last_error=entry.get("last_error"),
            last_error_ts=entry.get("last_error_ts"),
        )
        for notifier, entry in counts.items()
    }


def _claim(claimant: Fence | None) -> dict[str, Any]:
    if claimant is None:
        return {}
    return {"claimed_by": claimant.name, "claimed_epoch": claimant.epoch}


def _row(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "notifier": message.notifier,
        "kind": message.kind,
        "variables": json.dumps(message.variables, ensure_ascii=False),
        "thread_key": message.thread_key,
        "created_ms": to_ms(message.created_ts),
        "state": message.state.value,
        "attempts": message.attempts,
        "next_attempt_ms": to_ms(message.next_attempt_ts),
        "last_attempt_ms": optional_to_ms(message.last_attempt_ts),
        "last_error": message.last_error,
        "delivered_ms": optional_to_ms(message.delivered_ts),
        "reference": message.reference,
    }


def _message(row: Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        notifier=row.notifier,
        kind=row.kind,
        variables=json.loads(row.variables),
        created_ts=from_ms(row.created_ms),
        thread_key=row.thread_key,
        state=OutboxState(row.state),
        attempts=row.attempts,
        next_attempt_ts=from_ms(row.next_attempt_ms),
        last_attempt_ts=optional_from_ms(row.last_attempt_ms),
        last_error=row.last_error,
        delivered_ts=optional_from_ms(row.delivered_ms),
        reference=row.reference,
    )
