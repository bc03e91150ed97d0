"""Applied configuration files, kept verbatim: the configuration versions role."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlmodel import Session, col

from pulse_core.contract import ConfigVersion, ConfigVersionInfo, ConfigVersions

from pulse_store_sql.millis import from_ms, to_ms
from pulse_store_sql.runner import DatabaseRole
from pulse_store_sql.tables import ConfigVersionRow


class SqlConfigVersions(ConfigVersions, DatabaseRole):
    """Every version a row of ``config_versions``, its id assigned by the database."""

    async def add_config_version(
        self, yaml_text: str, sha256: str, applied_ts: float, actor: str | None, note: str | None
    ) -> ConfigVersion:
        def work(connection: Connection) -> ConfigVersion:
            with Session(bind=connection) as session:
                row = ConfigVersionRow(
                    applied_ms=to_ms(applied_ts),
                    sha256=sha256,
                    yaml_text=yaml_text,
                    actor=actor,
                    note=note,
                )
                session.add(row)
                session.flush()
                return _version(row)

        return await self._write(work)

    async def config_versions(self, limit: int | None = None) -> list[ConfigVersionInfo]:
        """Every column but the text, which is only read for one version at a time."""
        row = ConfigVersionRow
        query = (
            select(col(row.id), col(row.applied_ms), col(row.sha256), col(row.actor), col(row.note))
            .order_by(col(row.id).desc())
            .limit(limit)
        )

        def work(connection: Connection) -> list[ConfigVersionInfo]:
            versions = []
            for version_id, applied_ms, sha256, actor, note in connection.execute(query):
                assert version_id is not None  # rows come from the database, which assigned it
                versions.append(
                    ConfigVersionInfo(version_id, from_ms(applied_ms), sha256, actor, note)
                )
            return versions

        return await self._read(work)

    async def config_version(self, version_id: int) -> ConfigVersion | None:
        def work(connection: Connection) -> ConfigVersion | None:
            with Session(bind=connection) as session:
                row = session.get(ConfigVersionRow, version_id)
                return None if row is None else _version(row)

        return await self._read(work)


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
