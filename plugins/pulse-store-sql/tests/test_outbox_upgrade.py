"""A database made before clusters keeps its outbox, and its messages, unclaimed."""

from __future__ import annotations

import sqlalchemy

from pulse_core.contract import OutboxMessage
from pulse_store_sql import SqlStore, database

#: ``outbox`` as it was made then: no claim columns.
OLD_OUTBOX = """
CREATE TABLE outbox (
    id TEXT NOT NULL PRIMARY KEY,
    notifier TEXT NOT NULL,
    kind TEXT NOT NULL,
    variables TEXT NOT NULL,
    thread_key TEXT,
    created_ms BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_ms BIGINT NOT NULL,
    last_attempt_ms BIGINT,
    last_error TEXT,
    delivered_ms BIGINT,
    reference TEXT
)
"""


async def test_messages_are_added_to_an_outbox_made_before_clusters(database_url: str) -> None:
    engine = sqlalchemy.create_engine(database.database_url(database_url))
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(OLD_OUTBOX))
        connection.execute(sqlalchemy.text(
            "INSERT INTO outbox (id, notifier, kind, variables, created_ms, state, attempts, "
            "next_attempt_ms) VALUES ('old', 'mail', 'down', '{}', 1000, 'pending', 0, 0)"
        ))
    engine.dispose()
    store = SqlStore(database_url)
    await store.open()
    try:
        added = await store.add_to_outbox([OutboxMessage("new", "mail", "up", {}, 2.0)])
        pending = await store.pending_messages()
    finally:
        await store.close()
    assert added == 1
    assert [message.id for message in pending] == ["old", "new"]
