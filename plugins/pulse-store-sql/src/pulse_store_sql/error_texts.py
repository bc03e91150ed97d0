"""The table of error texts that check blocks refer to by id.

A down check's error is one of a few dozen texts ("timed out", "connection refused",
"HTTP 503"), repeated thousands of times; a block stores a small id instead. Ids are never
cached across transactions: an id handed out in a transaction that rolls back may be handed
out again for another text.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select

from pulse_store_sql.tables import check_errors


def ids_of(connection: Connection, texts: Collection[str]) -> dict[str, int]:
    """The id of each of ``texts``, adding those not in the table yet."""
    if not texts:
        return {}
    ids = _stored_ids(connection, texts)
    missing = [text for text in texts if text not in ids]
    if missing:
        connection.execute(check_errors.insert(), [{"text": text} for text in missing])
        ids = _stored_ids(connection, texts)
    return ids


def texts_of(connection: Connection, ids: Collection[int]) -> dict[int, str]:
    """The text of each of ``ids``."""
    if not ids:
        return {}
    rows = connection.execute(
        select(check_errors.c.id, check_errors.c.text).where(check_errors.c.id.in_(ids))
    )
    return {error_id: text for error_id, text in rows}


def _stored_ids(connection: Connection, texts: Collection[str]) -> dict[str, int]:
    rows = connection.execute(
        select(check_errors.c.text, check_errors.c.id).where(check_errors.c.text.in_(texts))
    )
    return {text: error_id for text, error_id in rows}
