"""Users, sessions, API keys and settings of the web API (the accounts role): few rows, read
as records."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import (
    BigInteger,
    Connection,
    Select,
    Table,
    Text,
    delete,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, col

from pulse_core.contract import Accounts, ApiKey, User, UserSession, UsernameTaken
from pulse_store_sql.millis import from_ms, optional_from_ms, to_ms
from pulse_store_sql.runner import DatabaseRole
from pulse_store_sql.tables import _Row
from pulse_store_sql.upsert import insert_missing


class UserRow(_Row, table=True):
    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted id is never reused

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    email: str | None = None
    role: str
    password_hash: str
    active: bool = True
    created_ms: int = Field(sa_type=BigInteger)


class SessionRow(_Row, table=True):
    __tablename__ = "sessions"

    #: SHA-256 (hex) of the cookie's token.
    id: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_ms: int = Field(sa_type=BigInteger)
    last_seen_ms: int = Field(sa_type=BigInteger)
    expires_ms: int = Field(sa_type=BigInteger, index=True)


class ApiKeyRow(_Row, table=True):
    __tablename__ = "api_keys"
    __table_args__ = {"sqlite_autoincrement": True}  # a revoked key's id is never reused

    id: int | None = Field(default=None, primary_key=True)
    name: str
    role: str
    prefix: str = Field(unique=True)
    key_hash: str
    user_id: int | None = Field(default=None, foreign_key="users.id")
    created_ms: int = Field(sa_type=BigInteger)
    last_used_ms: int | None = Field(default=None, sa_type=BigInteger)


class SettingRow(_Row, table=True):
    __tablename__ = "settings"

    name: str = Field(primary_key=True)
    value: str = Field(sa_type=Text)


Row = TypeVar("Row", UserRow, ApiKeyRow)
Record = TypeVar("Record", User, ApiKey)

settings: Table = SettingRow.__table__  # type: ignore[attr-defined]
sessions: Table = SessionRow.__table__  # type: ignore[attr-defined]


class SqlAccounts(Accounts, DatabaseRole):
    """Users and API keys through the ORM (their ids are the database's); sessions and
    settings, read and written on every request, as Core statements."""

    # -- users --------------------------------------------------------------------------------
    async def add_user(
        self, username: str, email: str | None, role: str, password_hash: str, created_ts: float
    ) -> User:
        def work(connection: Connection) -> User:
            row = UserRow(
                username=username,
                email=email,
                role=role,
                password_hash=password_hash,
                created_ms=to_ms(created_ts),
            )
            try:
                with Session(bind=connection) as session:
                    session.add(row)
                    session.flush()
                    return _user(row)
            except IntegrityError as error:
                raise UsernameTaken(f"the username {username!r} is taken") from error

        return await self._write(work)

    async def users(self) -> list[User]:
        return await self._read(_every(select(UserRow).order_by(col(UserRow.id)), _user))

    async def user(self, user_id: int) -> User | None:
        return await self._read(_first(select(UserRow).where(col(UserRow.id) == user_id), _user))

    async def user_by_username(self, username: str) -> User | None:
        return await self._read(_first(select(UserRow).where(UserRow.username == username), _user))

    async def update_user(
        self,
        user_id: int,
        *,
        role: str | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
        end_sessions: bool = False,
    ) -> User | None:
        def work(connection: Connection) -> User | None:
            with Session(bind=connection) as session:
                row = session.get(UserRow, user_id)
                if row is None:
                    return None
                if role is not None:
                    row.role = role
                if active is not None:
                    row.active = active
                if password_hash is not None:
                    row.password_hash = password_hash
                session.flush()
                if end_sessions:
                    connection.execute(delete(sessions).where(sessions.c.user_id == user_id))
                return _user(row)

        return await self._write(work)

    # -- sessions -----------------------------------------------------------------------------
    async def add_session(self, session: UserSession) -> None:
        def work(connection: Connection) -> None:
            connection.execute(sessions.insert(), {
                "id": session.id,
                "user_id": session.user_id,
                "created_ms": to_ms(session.created_ts),
                "last_seen_ms": to_ms(session.last_seen_ts),
                "expires_ms": to_ms(session.expires_ts),
            })

        await self._write(work)

    async def session(self, session_id: str) -> UserSession | None:
        def work(connection: Connection) -> UserSession | None:
            row = connection.execute(select(sessions).where(sessions.c.id == session_id)).first()
            if row is None:
                return None
            return UserSession(
                id=row.id,
                user_id=row.user_id,
                created_ts=from_ms(row.created_ms),
                last_seen_ts=from_ms(row.last_seen_ms),
                expires_ts=from_ms(row.expires_ms),
            )

        return await self._read(work)

    async def touch_session(self, session_id: str, seen_ts: float, expires_ts: float) -> None:
        statement = (
            update(sessions)
            .where(sessions.c.id == session_id)
            .values(last_seen_ms=to_ms(seen_ts), expires_ms=to_ms(expires_ts))
        )
        await self._write(lambda connection: connection.execute(statement))

    async def end_session(self, session_id: str) -> bool:
        statement = delete(sessions).where(sessions.c.id == session_id)
        return await self._write(lambda connection: connection.execute(statement).rowcount > 0)

    async def prune_sessions(self, now: float) -> int:
        statement = delete(sessions).where(sessions.c.expires_ms <= to_ms(now))
        return await self._write(lambda connection: connection.execute(statement).rowcount)

    # -- API keys -----------------------------------------------------------------------------
    async def add_api_key(
        self,
        name: str,
        role: str,
        prefix: str,
        key_hash: str,
        user_id: int | None,
        created_ts: float,
    ) -> ApiKey:
        def work(connection: Connection) -> ApiKey:
            with Session(bind=connection) as session:
                row = ApiKeyRow(
                    name=name,
                    role=role,
                    prefix=prefix,
                    key_hash=key_hash,
                    user_id=user_id,
                    created_ms=to_ms(created_ts),
                )
                session.add(row)
                session.flush()
                return _api_key(row)

        return await self._write(work)

    async def api_keys(self) -> list[ApiKey]:
        return await self._read(_every(select(ApiKeyRow).order_by(col(ApiKeyRow.id)), _api_key))

    async def api_key_by_prefix(self, prefix: str) -> ApiKey | None:
        query = select(ApiKeyRow).where(ApiKeyRow.prefix == prefix)
        return await self._read(_first(query, _api_key))

    async def mark_api_key_used(self, key_id: int, used_ts: float) -> None:
        def work(connection: Connection) -> None:
            with Session(bind=connection) as session:
                row = session.get(ApiKeyRow, key_id)
                if row is not None:
                    row.last_used_ms = to_ms(used_ts)
                    session.flush()

        await self._write(work)

    async def delete_api_key(self, key_id: int) -> bool:
        def work(connection: Connection) -> bool:
            with Session(bind=connection) as session:
                row = session.get(ApiKeyRow, key_id)
                if row is None:
                    return False
                session.delete(row)
                session.flush()
                return True

        return await self._write(work)

    # -- settings -----------------------------------------------------------------------------
    async def setting(self, name: str) -> str | None:
        return await self._read(lambda connection: _setting(connection, name))

    async def add_setting_if_absent(self, name: str, value: str) -> str:
        def work(connection: Connection) -> str:
            connection.execute(
                insert_missing(connection, settings, ["name"]), {"name": name, "value": value}
            )
            kept = _setting(connection, name)
            assert kept is not None  # inserted just now, or already there
            return kept

        return await self._write(work)


def drop_session_version(connection: Connection) -> None:
    """Databases made while sessions were signed cookies have ``users.session_version``,
    ``NOT NULL`` without a default: no user could be added to them any more."""
    columns = {column["name"] for column in inspect(connection).get_columns("users")}
    if "session_version" in columns:
        connection.execute(text("ALTER TABLE users DROP COLUMN session_version"))


def _every(
    query: Select[tuple[Row]], record: Callable[[Row], Record]
) -> Callable[[Connection], list[Record]]:
    """The work of reading the ORM rows ``query`` selects, each as ``record`` makes it."""

    def work(connection: Connection) -> list[Record]:
        with Session(bind=connection) as session:
            return [record(row) for row in session.scalars(query)]

    return work


def _first(
    query: Select[tuple[Row]], record: Callable[[Row], Record]
) -> Callable[[Connection], Record | None]:
    """The work of reading the first ORM row ``query`` selects, if any, as ``record``."""

    def work(connection: Connection) -> Record | None:
        with Session(bind=connection) as session:
            row = session.scalars(query).first()
            return None if row is None else record(row)

    return work


def _user(row: UserRow) -> User:
    assert row.id is not None  # rows come from the database, which assigned it
    return User(
        id=row.id,
        username=row.username,
        email=row.email,
        role=row.role,
        password_hash=row.password_hash,
        active=row.active,
        created_ts=from_ms(row.created_ms),
    )


def _api_key(row: ApiKeyRow) -> ApiKey:
    assert row.id is not None  # rows come from the database, which assigned it
    return ApiKey(
        id=row.id,
        name=row.name,
        role=row.role,
        prefix=row.prefix,
        key_hash=row.key_hash,
        user_id=row.user_id,
        created_ts=from_ms(row.created_ms),
        last_used_ts=optional_from_ms(row.last_used_ms),
    )


def _setting(connection: Connection, name: str) -> str | None:
    return connection.scalar(select(settings.c.value).where(settings.c.name == name))
