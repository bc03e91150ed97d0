"""The catalogue at the size of a site: thousands of endpoints synced in chunks, changes
written row for row, removed flags, keys kept, and the key cache sharing the caller's ids."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, select

from pulse_core.models import Endpoint, Group
from pulse_core.testing.store_conformance import ALPHA, BETA, DAY_START, EVER, GROUP, up
from pulse_store_sql import SqlStore, catalog, database
from pulse_store_sql.chunks import CHUNK_ROWS
from pulse_store_sql.tables import endpoints as endpoints_table
from pulse_store_sql.tables import groups as groups_table
from pulse_store_sql.tables import metadata

#: More than a few pages and chunks (``CHUNK_ROWS``), and a multiple of them, so a
#: page can end exactly where the stored rows do.
ENDPOINTS = 5 * CHUNK_ROWS

StoredRows = dict[str, tuple[Any, ...]]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database with the store's schema and nothing in it."""
    engine = database.create_database_engine(database.database_url(database_url), connections=1)
    with engine.begin() as connection:
        metadata.create_all(connection)
    yield engine
    engine.dispose()


def endpoint(i: int, name: str | None = None, **changes: Any) -> Endpoint:
    """The ``i``-th endpoint of the site: ICMP and TCP in turn, in 4 groups."""
    host = f"10.0.{i // 250}.{i % 250 + 1}"
    values: dict[str, Any] = {
        "name": name or f"Device {i:05d}",
        "group_id": f"group-{i % 4}",
        "type": "icmp" if i % 2 else "tcp",
        "host": host,
        "port": None if i % 2 else 502,
        **changes,
    }
    endpoint_id = f"{values['type']}-{host}" + ("" if i % 2 else "-502")
    return Endpoint(id=endpoint_id, **values)


def site_groups(count: int = 4, renamed: int | None = None) -> list[Group]:
    return [
        Group(id=f"group-{g}", name=f"Group {g}" + (" (renamed)" if g == renamed else ""))
        for g in range(count)
    ]


def sync(engine: Engine, groups: list[Group], endpoints: list[Endpoint]) -> list[str]:
    """Sync in one transaction, as the store does; the SQL statements it ran."""
    statements: list[str] = []

    def record(_connection: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    with engine.begin() as connection:
        event.listen(connection, "before_cursor_execute", record)
        catalog.sync_catalog(connection, groups, endpoints)
    return statements


def stored_endpoints(engine: Engine) -> StoredRows:
    """id → (key, name, group_id, type, host, port, removed) of every stored endpoint."""
    table = endpoints_table
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                table.c.id,
                table.c.key,
                table.c.name,
                table.c.group_id,
                table.c.type,
                table.c.host,
                table.c.port,
                table.c.removed,
            )
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def stored_groups(engine: Engine) -> StoredRows:
    """id → (name, removed) of every stored group."""
    with engine.connect() as connection:
        table = groups_table
        rows = connection.execute(select(table.c.id, table.c.name, table.c.removed))
        return {row[0]: tuple(row[1:]) for row in rows}


def described(endpoint: Endpoint, removed: bool) -> tuple[Any, ...]:
    """What a row should hold for ``endpoint``, without its key."""
    return (endpoint.name, endpoint.group_id, endpoint.type, endpoint.host, endpoint.port, removed)


def writes(statements: list[str]) -> list[str]:
    """The writes of groups and endpoints among ``statements`` (not of the sync's digest)."""
    return [
        s for s in statements
        if s.lstrip().upper().startswith(("INSERT", "UPDATE")) and catalog.synced.name not in s
    ]


def test_a_changed_site_is_synced_row_for_row(engine: Engine) -> None:
    first = [endpoint(i) for i in range(ENDPOINTS)]
    sync(engine, site_groups(), first)
    keys = {endpoint_id: row[0] for endpoint_id, row in stored_endpoints(engine).items()}
    assert len(set(keys.values())) == ENDPOINTS

    # 250 leave, 200 are renamed, 200 move to another group, 200 get another port, 300 arrive.
    second: list[Endpoint] = []
    for i in range(ENDPOINTS):
        if i % 20 == 0:
            continue
        if i % 25 == 1:
            second.append(endpoint(i, name=f"Renamed {i}"))
        elif i % 25 == 2:
            second.append(endpoint(i, group_id="group-new"))
        elif i % 25 == 4:
            second.append(endpoint(i, port=503))
        else:
            second.append(endpoint(i))
    second += [endpoint(i) for i in range(ENDPOINTS, ENDPOINTS + 300)]
    sync(engine, site_groups(3, renamed=1) + [Group(id="group-new", name="New")], second)

    stored = stored_endpoints(engine)
    present = {e.id: e for e in second}
    assert len(stored) == ENDPOINTS + 300
    for e in first:
        if e.id not in present:
            assert stored[e.id] == (keys[e.id], *described(e, removed=True))
    for e in second:
        assert stored[e.id][1:] == described(e, removed=False)
        if e.id in keys:
            assert stored[e.id][0] == keys[e.id]  # the key, and with it the history, stays
    new_keys = {stored[e.id][0] for e in second if e.id not in keys}
    assert len(new_keys) == 300 and not new_keys & set(keys.values())
    assert stored_groups(engine) == {
        "group-0": ("Group 0", False),
        "group-1": ("Group 1 (renamed)", False),
        "group-2": ("Group 2", False),
        "group-3": ("Group 3", True),
        "group-new": ("New", False),
    }

    # The 250 come back as they were: their old rows, keys and values, no longer removed.
    sync(engine, site_groups(), first)
    assert stored_endpoints(engine) == {
        **{e.id: (keys[e.id], *described(e, removed=False)) for e in first},
        **{e.id: (stored[e.id][0], *described(e, removed=True)) for e in second[-300:]},
    }


def test_an_update_of_a_few_endpoints_leaves_what_a_whole_sync_would(engine: Engine) -> None:
    """``update_catalog`` with the changed and removed endpoints: a whole sync afterwards
    finds nothing left to write, and the update read only the rows it names."""
    first = [endpoint(i) for i in range(ENDPOINTS)]
    sync(engine, site_groups(), first)
    keys = {endpoint_id: row[0] for endpoint_id, row in stored_endpoints(engine).items()}
    renamed, moved, gone = endpoint(3, name="Renamed 3"), endpoint(7, group_id="group-2"), first[9]
    added = [endpoint(i) for i in range(ENDPOINTS, ENDPOINTS + 3)]
    second = [e for e in first if e.id not in {renamed.id, moved.id, gone.id}]
    second += [renamed, moved, *added]
    statements: list[str] = []

    def record(_connection: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    with engine.begin() as connection:
        event.listen(connection, "before_cursor_execute", record)
        catalog.update_catalog(
            connection, site_groups(renamed=0), [renamed, moved, *added], [gone.id]
        )

    stored = stored_endpoints(engine)
    assert stored[gone.id] == (keys[gone.id], *described(gone, removed=True))
    assert stored[renamed.id] == (keys[renamed.id], *described(renamed, removed=False))
    assert stored[moved.id] == (keys[moved.id], *described(moved, removed=False))
    assert all(stored[e.id][1:] == described(e, removed=False) for e in added)
    assert stored_groups(engine)["group-0"] == ("Group 0 (renamed)", False)
    assert writes(sync(engine, site_groups(renamed=0), second)) == []
    assert stored_endpoints(engine) == stored
    endpoint_reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")
                      and "endpoints" in s]
    assert len(endpoint_reads) == 1 and " IN " in endpoint_reads[0].upper()


def test_an_unchanged_site_writes_nothing(engine: Engine) -> None:
    groups, endpoints = site_groups(), [endpoint(i) for i in range(ENDPOINTS)]
    assert writes(sync(engine, groups, endpoints))
    before = stored_endpoints(engine)
    assert writes(sync(engine, groups, endpoints)) == []
    assert stored_endpoints(engine) == before


def test_a_sync_of_what_the_last_one_made_reads_no_row_until_another_write(
    engine: Engine,
) -> None:
    """A restart with the catalogue of the last sync compares its digest, not the rows; an
    update in between (a target written through the API) makes the next sync compare them,
    and so put back what the update changed."""
    groups, endpoints = site_groups(), [endpoint(i) for i in range(ENDPOINTS)]
    sync(engine, groups, endpoints)
    before = stored_endpoints(engine)
    again = sync(engine, groups, endpoints)
    assert again and not [s for s in again if "endpoints" in s or "groups" in s]
    with engine.begin() as connection:
        catalog.update_catalog(connection, groups, [endpoint(3, name="Renamed 3")], [])
    assert len(writes(sync(engine, groups, endpoints))) == 1  # the rename, undone
    assert stored_endpoints(engine) == before


def test_changes_are_written_in_chunks(engine: Engine) -> None:
    """Statements per chunk, not per row: inserting and then renaming the whole site takes
    a handful of statements each."""
    inserted = writes(sync(engine, site_groups(), [endpoint(i) for i in range(ENDPOINTS)]))
    renamed = writes(
        sync(engine, site_groups(), [endpoint(i, name=f"Renamed {i}") for i in range(ENDPOINTS)])
    )
    removed = writes(sync(engine, [], []))
    chunks = ENDPOINTS // CHUNK_ROWS
    # One executemany per chunk of endpoints, one for the few groups.
    assert len(inserted) == chunks + 1 and len(set(inserted)) == 2
    assert len(renamed) == chunks
    assert len(removed) == chunks + 1 and len(set(removed)) == 2
    assert all(row[-1] for row in stored_endpoints(engine).values())
    assert all(removed for _, removed in stored_groups(engine).values())


def test_key_cache_holds_the_callers_id_strings(engine: Engine) -> None:
    endpoints = [endpoint(i) for i in range(ENDPOINTS)]
    sync(engine, site_groups(), endpoints)
    late = endpoints[-1].id
    late_key = stored_endpoints(engine)[late][0]
    keys = catalog.EndpointKeys()
    with engine.connect() as connection:
        keys.load(connection, [e.id for e in endpoints[: ENDPOINTS // 2]])
        cached = dict(keys._keys)  # what the cache keeps alive is what is tested here
        assert {id(endpoint_id) for endpoint_id in cached} == {
            id(e.id) for e in endpoints[: ENDPOINTS // 2]
        }
        # An endpoint outside the cache is found on a miss, with the caller's string too.
        assert keys.resolve(connection, [late])[late] == late_key
        assert any(endpoint_id is late for endpoint_id in keys._keys)
        with pytest.raises(LookupError, match="unknown endpoint id 'ghost'"):
            keys.resolve(connection, [late, "ghost"])


@pytest.mark.asyncio
async def test_checks_of_a_removed_endpoint_are_still_stored(database_url: str) -> None:
    """A check in flight when its endpoint left the configuration reaches the store after
    the sync: the key cache holds the configured endpoints only, and finds the removed
    one in the database."""
    store = SqlStore(database_url)
    await store.open()
    try:
        await store.sync_catalog([GROUP], [ALPHA, BETA])
        await store.sync_catalog([GROUP], [ALPHA])
        late = up(DAY_START + 1, endpoint=BETA)
        await store.write_checks([late])
        assert await store.checks(BETA.id, *EVER) == [late]
    finally:
        await store.close()

    reopened = SqlStore(database_url)
    await reopened.open()
    try:
        # Before any sync, keys come from the database too.
        check = up(DAY_START + 2)
        await reopened.write_checks([check])
        assert await reopened.checks(ALPHA.id, *EVER) == [check]
    finally:
        await reopened.close()


async def test_cluster_nodes_starting_together_sync_one_catalogue(postgresql_url: str) -> None:
    """Two nodes opening an empty database at once each insert every group and endpoint
    they find missing; taking turns, neither trips over the other's rows."""
    groups = [Group(f"line-{index}", f"Line {index}") for index in range(20)]
    many = [endpoint(index, group_id=f"line-{index % 20}") for index in range(2000)]
    stores = [SqlStore(postgresql_url), SqlStore(postgresql_url)]
    for store in stores:
        await store.open()
    try:
        await asyncio.gather(*(store.sync_catalog(groups, many) for store in stores))
    finally:
        for store in stores:
            await store.close()
    engine = database.create_database_engine(database.database_url(postgresql_url), 1)
    with engine.connect() as connection:
        assert len(connection.execute(select(groups_table.c.id)).all()) == 20
        assert len(connection.execute(select(endpoints_table.c.id)).all()) == 2000
    engine.dispose()
