"""The stored groups and endpoints, and the integer keys that stand for endpoints.

Both run over every endpoint of the configuration (20,000 and more), at start-up and on each
configuration change. They use Core statements in chunks, never an ORM object per row: the
ORM held 20,000 loaded and 20,000 new objects in one session at once, about 3.6 KB per
endpoint at the peak, and CPython's allocator keeps the pages of such a peak for the life of
the process. Here the peak is one chunk of rows and parameters, plus one dictionary entry per
endpoint, whatever the number of endpoints.

A sync also stores a digest of what it made the catalogue (``catalogue_synced``), and every
other write of the catalogue clears it: a restart with the catalogue of the last sync
compares the digest, not every row read back (at 20,000 unnamed endpoints 0.08 s of CPU
where comparing rows took 0.12 s; most of what is left is building the endpoints' names,
which both read). The digest knows only this module's writes: a database whose catalogue an
older Pulse synced after a newer one stored its digest should have that row deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    Row,
    Select,
    Table,
    Text,
    bindparam,
    delete,
    insert,
    select,
    text,
    update,
)

from pulse_core.contract import Endpoint, Group, IdIndex

from pulse_store_sql import tables
from pulse_store_sql.bulk_reads import KEYS_PER_QUERY
from pulse_store_sql.chunks import CHUNK_ROWS, chunks

Item = TypeVar("Item", Group, Endpoint)


@dataclass(frozen=True)
class _Catalogue(Generic[Item]):
    """How one kind of configured item is stored."""

    table: Table
    #: a unique column a sync never changes: stored rows are read in pages of its order
    page_by: Column[Any]
    #: the columns a sync writes, besides ``id`` and ``removed``
    columns: tuple[str, ...]
    #: an item's values for ``columns``, in their order
    values: Callable[[Item], tuple[Any, ...]]


def _group_values(group: Group) -> tuple[Any, ...]:
    return (group.name, group.parent_id, group.color, group.sort_order)


def _endpoint_values(endpoint: Endpoint) -> tuple[Any, ...]:
    return (endpoint.name, endpoint.group_id, endpoint.type, endpoint.host, endpoint.port)


_GROUPS = _Catalogue(
    tables.groups, tables.groups.c.id, ("name", "parent_id", "color", "sort_order"), _group_values
)
_ENDPOINTS = _Catalogue(
    tables.endpoints,
    tables.endpoints.c.key,
    ("name", "group_id", "type", "host", "port"),
    _endpoint_values,
)

#: At most one row: the digest of the groups and endpoints the last sync made the catalogue.
synced = Table("catalogue_synced", tables.metadata, Column("digest", Text, nullable=False))


def sync_catalog(
    connection: Connection, groups: Sequence[Group], endpoints: Sequence[Endpoint]
) -> None:
    """Insert or update every given group and endpoint; mark the others removed.

    Rows are never deleted: an endpoint that comes back under the same id gets its old row,
    and with it its key and its history. Only rows whose values differ are written, so a
    restart with an unchanged configuration writes nothing. An id given twice takes the
    values of its last occurrence.
    """
    _one_writer_at_a_time(connection)
    configured_groups = {group.id: group for group in groups}
    configured_endpoints = {endpoint.id: endpoint for endpoint in endpoints}
    digest = _digest(configured_groups, configured_endpoints)
    if connection.execute(select(synced.c.digest)).scalar() == digest:
        return  # the catalogue is what this sync would make it
    _sync(connection, _GROUPS, configured_groups)
    _sync(connection, _ENDPOINTS, configured_endpoints)
    connection.execute(delete(synced))
    connection.execute(insert(synced), {"digest": digest})


def update_catalog(
    connection: Connection, groups: Sequence[Group], changed: Sequence[Endpoint],
    removed: Sequence[str],
) -> None:
    """Write the rows of the ``changed`` endpoints and mark the ``removed`` ids removed,
    leaving every other endpoint's row as it is: what :func:`sync_catalog` does when only
    those differ, reading only the rows they may change. The groups are synced whole (a
    configuration has few)."""
    _one_writer_at_a_time(connection)
    connection.execute(delete(synced))  # the next sync compares rows
    _sync(connection, _GROUPS, {group.id: group for group in groups})
    table = _ENDPOINTS.table
    for chunk in chunks(changed, KEYS_PER_QUERY):
        pending = {endpoint.id: endpoint for endpoint in chunk}
        query = _rows_query(_ENDPOINTS).where(table.c.id.in_(list(pending)))
        _, updated = _page_changes(_ENDPOINTS, connection.execute(query).all(), pending)
        if updated:
            connection.execute(
                update(table).where(_ENDPOINTS.page_by == bindparam("row_page_by")), updated
            )
        if pending:  # not stored yet
            connection.execute(
                insert(table),
                [{"id": item_id, **_as_columns(_ENDPOINTS, item)} for item_id, item in pending.items()],
            )
    for removed_ids in chunks(removed, KEYS_PER_QUERY):
        connection.execute(
            update(table).where(table.c.id.in_(removed_ids), table.c.removed.is_(False)),
            {"removed": True},
        )


def _digest(groups: Mapping[str, Group], endpoints: Mapping[str, Endpoint]) -> str:
    """SHA-256 of the ids and stored values of ``groups`` and ``endpoints``, in their order
    (a reordered configuration compares its rows once): 20-25 ms at 20,000 named
    endpoints, 76 ms unnamed, 58 of them building the names (``Endpoint.name``).

    Hashed a chunk of rows at a time: the values and text of every row at once were the
    highest the process's memory went at start-up, 358 bytes an endpoint at 100,000, and
    memory a process has held once it keeps."""
    digest = hashlib.sha256()
    for catalogue, items in ((_GROUPS, groups), (_ENDPOINTS, endpoints)):
        values = catalogue.values
        digest.update(repr(catalogue.columns).encode())
        for chunk in chunks(items.items()):
            digest.update(repr([(item_id, values(item)) for item_id, item in chunk]).encode())
    return digest.hexdigest()


def _one_writer_at_a_time(connection: Connection) -> None:
    """Cluster nodes starting together on one PostgreSQL database sync the same catalogue:
    each reads which rows are missing, then inserts them, so two at once would both insert
    the same row. The sync is short; they take turns (the lock ends with the transaction)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.catalogue'))")
        )


def _sync(connection: Connection, catalogue: _Catalogue[Item], pending: dict[str, Item]) -> None:
    """Make the rows of ``catalogue`` those of ``pending`` (id → item), which it empties.

    Stored rows are read a page at a time and each page's changes are written before the
    next page is read: SQLite leaves undefined what a statement still reading sees of the
    connection's own writes to its table.
    """
    for page in _stored_pages(connection, catalogue):
        removed, updated = _page_changes(catalogue, page, pending)
        # Two statements: an ``executemany`` takes one set of columns.
        for parameters in (removed, updated):
            if parameters:
                statement = update(catalogue.table).where(
                    catalogue.page_by == bindparam("row_page_by")
                )
                connection.execute(statement, parameters)
    for new in chunks(pending.items()):
        connection.execute(
            insert(catalogue.table),
            [{"id": item_id, **_as_columns(catalogue, item)} for item_id, item in new],
        )


def _stored_pages(
    connection: Connection, catalogue: _Catalogue[Item]
) -> Iterator[Sequence[Row[Any]]]:
    """Every stored row as ``page_by, id, removed, *columns``, a fully fetched page at a
    time: keyset pages, so each is one index range however far the sync has come."""
    page_by = catalogue.page_by
    query = _rows_query(catalogue).order_by(page_by).limit(CHUNK_ROWS)
    page = connection.execute(query).all()
    while page:
        yield page
        if len(page) < CHUNK_ROWS:
            return
        page = connection.execute(query.where(page_by > page[-1].page_by)).all()


def _rows_query(catalogue: _Catalogue[Item]) -> Select[Any]:
    """Stored rows as ``page_by, id, removed, *columns``."""
    table = catalogue.table
    return select(
        catalogue.page_by.label("page_by"),
        table.c.id,
        table.c.removed,
        *(table.c[name] for name in catalogue.columns),
    )


def _page_changes(
    catalogue: _Catalogue[Item], page: Sequence[Row[Any]], pending: dict[str, Item]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The update parameters of the rows of ``page`` that left the configuration, and of
    those whose values differ from their item's (or that come back); their items leave
    ``pending``."""
    removed: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    for row in page:
        item = pending.pop(row.id, None)
        if item is None:
            if not row.removed:
                removed.append({"row_page_by": row.page_by, "removed": True})
        elif row.removed or tuple(row)[3:] != catalogue.values(item):
            updated.append({"row_page_by": row.page_by, **_as_columns(catalogue, item)})
    return removed, updated


def _as_columns(catalogue: _Catalogue[Item], item: Item) -> dict[str, Any]:
    """The columns of the row of a configured ``item``."""
    return {**dict(zip(catalogue.columns, catalogue.values(item))), "removed": False}



class EndpointKeys:
    """Endpoint id → integer key, cached: every batch of checks needs the keys of its
    endpoints, and they never change once assigned.

    The cache holds the configured endpoints (``load``) and any other endpoint asked for
    since (a removed one with late writes, one another node added to a shared database),
    found on a miss. Its id strings are the caller's own objects, never copies read from the
    database: at 20,000 endpoints, copies would cost about 100 bytes each for the life of
    the process; it is an ``IdIndex``, where a dict took 52 bytes an endpoint. Used from the
    store's writer thread only, so it needs no lock.
    """

    def __init__(self) -> None:
        self._keys = IdIndex()

    def load(self, connection: Connection, endpoint_ids: Iterable[str]) -> None:
        """Cache the keys of ``endpoint_ids`` (stored ones; others are left out) instead of
        what was cached. Keys already cached are kept without asking the database (a key
        never changes), so a configuration that changed a few endpoints reads only theirs."""
        known: dict[str, int] = {}
        missing = _look_up(self._keys, endpoint_ids, known)
        self._keys = IdIndex(chain(known.items(), _stored_keys(connection, missing)))

    def resolve(self, connection: Connection, endpoint_ids: Iterable[str]) -> Mapping[str, int]:
        """The keys of ``endpoint_ids``; ``LookupError`` if one was never in the catalogue.

        This runs for every batch of checks: each id is looked up in the cache once (a
        bisection over every endpoint's id, a few cache misses at 100,000 endpoints), where
        asking the cache whether it held each id and then for its key took two.
        """
        found: dict[str, int] = {}
        missing = _look_up(self._keys, endpoint_ids, found)
        if missing:
            self._keys = self._keys.with_entries(_stored_keys(connection, set(missing)))
            unknown = _look_up(self._keys, missing, found)
            if unknown:
                raise LookupError(
                    f"unknown endpoint id {min(unknown)!r}: sync_catalog() must list an "
                    "endpoint before anything is stored for it"
                )
        return found


def _look_up(keys: IdIndex, endpoint_ids: Iterable[str], found: dict[str, int]) -> list[str]:
    """Put the keys ``keys`` holds for ``endpoint_ids`` into ``found``, one lookup each;
    returns the ids it does not hold."""
    missing = []
    for endpoint_id in endpoint_ids:
        key = keys.find(endpoint_id)
        if key is None:
            missing.append(endpoint_id)
        else:
            found[endpoint_id] = key
    return missing


def _stored_keys(connection: Connection, endpoint_ids: Iterable[str]) -> Iterator[tuple[str, int]]:
    """``(id, key)`` of the stored endpoints among ``endpoint_ids``, each id being the string
    object given, not the database's copy of it."""
    endpoints = tables.endpoints
    for chunk in chunks(endpoint_ids, KEYS_PER_QUERY):
        given = {endpoint_id: endpoint_id for endpoint_id in chunk}
        rows = connection.execute(
            select(endpoints.c.id, endpoints.c.key).where(endpoints.c.id.in_(given))
        )
        for stored_id, key in rows:
            yield given[stored_id], key
