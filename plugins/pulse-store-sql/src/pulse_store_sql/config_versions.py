"""Applied configuration files, kept verbatim."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlmodel import Session, col

from pulse_core.models import ConfigVersion

from pulse_store_sql.millis import from_ms, to_ms
from pulse_store_sql.tables import ConfigVersionRow


def add(
    connection: Connection,
    yaml_text: str,
    sha256: str,
    applied_ts: float,
    actor: str | None,
    note: str | None,
) -> ConfigVersion:
    with Session(bind=connection) as session:
        row = ConfigVersionRow(
            applied_ms=to_ms(applied_ts), sha256=sha256, yaml_text=yaml_text, actor=actor, note=note
        )
        session.add(row)
        session.flush()
        return _version(row)


def newest_first(connection: Connection) -> list[ConfigVersion]:
    with Session(bind=connection) as session:
        rows = session.scalars(select(ConfigVersionRow).order_by(col(ConfigVersionRow.id).desc()))
        return [_version(row) for row in rows]


def by_id(connection: Connection, version_id: int) -> ConfigVersion | None:
    with Session(bind=connection) as session:
        row = session.get(ConfigVersionRow, version_id)
        return None if row is None else _version(row)


def _version(row: ConfigVersionRow) -> ConfigVersion:
    assert row.id is not None  # rows come from the database, which assigned it
    return ConfigVersion(
        id=row.id,
        applied_ts=from_ms(row.applied_ms),
        sha256=row.sha256,
        yaml_text=row.yaml_text,
        actor=row.actor,
        note=row.note,
    )
