"""Pulse store plugin ``sql``: history in SQLite (the embedded default) or PostgreSQL."""

from pulse_store_sql.store import SqlStore

__all__ = ["SqlStore"]
