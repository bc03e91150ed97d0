"""The stored groups and endpoints, and the integer keys that stand for endpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, select
from sqlmodel import Session

from pulse_core.models import Endpoint, Group

from pulse_store_sql import tables
from pulse_store_sql.tables import EndpointRow, GroupRow


def sync_catalog(
    connection: Connection, groups: Sequence[Group], endpoints: Sequence[Endpoint]
) -> None:
    """Insert or update every given group and endpoint; mark the others removed.

    Rows are never deleted: an endpoint that comes back under the same id gets its old row,
    and with it its key and its history. Runs at start-up and on configuration changes only,
    so the ORM's readability wins over bulk speed here.
    """
    with Session(bind=connection) as session:
        _mark_present(
            session,
            GroupRow,
            {
                group.id: {
                    "name": group.name,
                    "parent_id": group.parent_id,
                    "color": group.color,
                    "sort_order": group.sort_order,
                }
                for group in groups
            },
        )
        _mark_present(
            session,
            EndpointRow,
            {
                endpoint.id: {
                    "name": endpoint.name,
                    "group_id": endpoint.group_id,
                    "type": endpoint.type,
                    "host": endpoint.host,
                    "port": endpoint.port,
                }
                for endpoint in endpoints
            },
        )
        session.flush()


CatalogRow = TypeVar("CatalogRow", GroupRow, EndpointRow)


def _mark_present(
    session: Session, row_class: type[CatalogRow], present: Mapping[str, dict[str, Any]]
) -> None:
    """Make the rows of ``row_class`` those in ``present`` (id → column values)."""
    stored = {row.id: row for row in session.scalars(select(row_class))}
    for row_id, values in present.items():
        row = stored.pop(row_id, None)
        if row is None:
            session.add(row_class(id=row_id, **values))
        else:
            row.sqlmodel_update({**values, "removed": False})
    for row in stored.values():
        row.removed = True


class EndpointKeys:
    """Endpoint id → integer key, cached: every batch of checks needs the keys of its
    endpoints, and they never change once assigned.

    Used from the store's writer thread only, so it needs no lock. On a miss it reloads the
    whole mapping, which also picks up endpoints that another node added to a shared database.
    """

    def __init__(self) -> None:
        self._keys: dict[str, int] = {}

    def reload(self, connection: Connection) -> None:
        rows = connection.execute(select(tables.endpoints.c.id, tables.endpoints.c.key))
        self._keys = {endpoint_id: key for endpoint_id, key in rows}

    def resolve(self, connection: Connection, endpoint_ids: Iterable[str]) -> dict[str, int]:
        """The keys of ``endpoint_ids``; ``LookupError`` if one was never in the catalogue."""
        wanted = set(endpoint_ids)
        if not wanted <= self._keys.keys():
            self.reload(connection)
        unknown = wanted - self._keys.keys()
        if unknown:
            raise LookupError(
                f"unknown endpoint id {min(unknown)!r}: sync_catalog() must list an endpoint "
                "before anything is stored for it"
            )
        return {endpoint_id: self._keys[endpoint_id] for endpoint_id in wanted}
