"""A database made while sessions were signed cookies still takes new users."""

from __future__ import annotations

import sqlalchemy

from pulse_store_sql import SqlStore, database

#: ``users`` as it was made then: a session version on every user, NOT NULL, no default.
OLD_USERS = """
CREATE TABLE users (
    id {id_type} NOT NULL PRIMARY KEY,
    username VARCHAR NOT NULL UNIQUE,
    email VARCHAR,
    role VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,
    active BOOLEAN NOT NULL,
    session_version INTEGER NOT NULL,
    created_ms BIGINT NOT NULL
)
"""


async def test_users_are_added_to_a_database_with_session_versions(database_url: str) -> None:
    engine = sqlalchemy.create_engine(database.database_url(database_url))
    id_type = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(OLD_USERS.format(id_type=id_type)))
        connection.execute(sqlalchemy.text(
            "INSERT INTO users (username, role, password_hash, active, session_version, "
            "created_ms) VALUES ('olga', 'admin', 'hash', TRUE, 3, 0)"
        ))
    engine.dispose()
    store = SqlStore(database_url)
    await store.open()
    try:
        added = await store.add_user("petra", None, "viewer", "hash-p", 1.0)
        users = await store.users()
    finally:
        await store.close()
    assert [user.username for user in users] == ["olga", "petra"]
    assert added.id > users[0].id
