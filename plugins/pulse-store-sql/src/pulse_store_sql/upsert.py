"""``INSERT ... ON CONFLICT`` for the two dialects this store speaks.

SQLite and PostgreSQL share the syntax, but SQLAlchemy exposes it only through each
dialect's own ``insert`` construct.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, Table
from sqlalchemy.dialects import postgresql, sqlite

Insert = postgresql.Insert | sqlite.Insert


def _insert(connection: Connection, table: Table) -> Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(
    connection: Connection,
    table: Table,
    conflict_columns: Sequence[str],
    rows_from: Select[Any] | None = None,
    *,
    adding: bool = False,
) -> Insert:
    """An insert that overwrites every other column of a row whose ``conflict_columns``
    already exist (with ``adding``, adds to each instead: sums gathered in parts); the rows
    come from the parameters, or from ``rows_from`` (whose columns are in table order)."""
    statement = _insert(connection, table)
    if rows_from is not None:
        statement = statement.from_select([column.name for column in table.columns], rows_from)
    given = {
        column.name: (column + statement.excluded[column.name]) if adding
        else statement.excluded[column.name]
        for column in table.columns
        if column.name not in conflict_columns
    }
    return statement.on_conflict_do_update(index_elements=conflict_columns, set_=given)


def insert_missing(connection: Connection, table: Table, conflict_columns: Sequence[str]) -> Insert:
    """An insert that leaves a row whose ``conflict_columns`` already exist untouched."""
    return _insert(connection, table).on_conflict_do_nothing(index_elements=conflict_columns)
