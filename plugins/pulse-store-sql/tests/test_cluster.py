"""The coordination of nodes that share one PostgreSQL database: each ``SqlStore`` here is
one node, with connections of its own to the real server."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable

import psycopg
import pytest
import sqlalchemy

from pulse_core.contract import (
    CheckResult,
    CheckStatus,
    Coordination,
    Endpoint,
    EndpointSnapshot,
    Fenced,
    Group,
    LeaseLost,
    NodeNameTaken,
    NodeStats,
    Outage,
    OutboxMessage,
    OutboxState,
    State,
)
from pulse_core.testing.postgresql import POSTGRESQL_SERVER
from pulse_store_sql import SqlStore, database
from pulse_store_sql.cluster import PostgresCoordination, channel_name, lock_key
from pulse_store_sql.fencing import Fence

STATS = NodeStats(endpoints_owned=3, checks_per_s=1.5, version="1.0", address="127.0.0.1:8080")
#: short enough to lapse within a test, long enough for the statements around it
LEASE_S = 0.5
#: how long a test waits for something that must happen before it fails instead of hanging
PATIENCE_S = 20

OpenNode = Callable[[], Awaitable[SqlStore]]


@pytest.fixture
async def open_node(postgresql_url: str) -> AsyncIterator[OpenNode]:
    """Open stores on the test's database, each one node; closed at the end."""
    opened: list[SqlStore] = []

    async def open_one() -> SqlStore:
        store = SqlStore(postgresql_url)
        await store.open()
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


def coordination_of(store: SqlStore) -> Coordination:
    coordination = store.coordination()
    assert coordination is not None
    return coordination


async def until(condition: Callable[[], bool | Awaitable[bool]]) -> None:
    """Wait for ``condition`` to hold (a guard against hanging, not a timing assertion)."""
    async with asyncio.timeout(PATIENCE_S):
        while not await _holds(condition):
            await asyncio.sleep(0.05)


async def _holds(condition: Callable[[], bool | Awaitable[bool]]) -> bool:
    outcome = condition()
    return await outcome if inspect.isawaitable(outcome) else outcome


async def lapsed(coordination: Coordination, name: str) -> None:
    """Wait until the database's clock passed the lease of ``name``."""

    async def not_alive() -> bool:
        return not any(node.alive for node in await coordination.nodes() if node.name == name)

    await until(not_alive)


async def test_a_sqlite_store_serves_one_node(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = SqlStore(f"sqlite:///{tmp_path / 'pulse.db'}")
    await store.open()
    try:
        assert store.coordination() is None
    finally:
        await store.close()


async def test_members_join_renew_and_are_listed(open_node: OpenNode) -> None:
    a, b = coordination_of(await open_node()), coordination_of(await open_node())
    epoch_a = await a.join("a", "paris", 30, STATS)
    epoch_b = await b.join("b", "oslo", 30, NodeStats(0, 0.0, "1.0"))
    assert epoch_a != epoch_b
    await a.heartbeat("a", epoch_a, 30, NodeStats(5, 2.0, "1.1", "127.0.0.1:8081"))
    nodes = await b.nodes()
    assert [(node.name, node.site, node.epoch, node.alive) for node in nodes] == [
        ("a", "paris", epoch_a, True),
        ("b", "oslo", epoch_b, True),
    ]
    assert nodes[0].stats == NodeStats(5, 2.0, "1.1", "127.0.0.1:8081")
    assert nodes[0].heartbeat_ts >= nodes[0].joined_ts
    assert 0 <= nodes[0].lease_age_s < 30


async def test_a_live_name_is_taken_until_its_lease_lapses(open_node: OpenNode) -> None:
    a, b = coordination_of(await open_node()), coordination_of(await open_node())
    first = await a.join("n1", "paris", LEASE_S, STATS)
    with pytest.raises(NodeNameTaken, match="n1"):
        await b.join("n1", "paris", 30, STATS)
    await lapsed(b, "n1")
    second = await b.join("n1", "oslo", 30, STATS)
    assert second > first
    with pytest.raises(LeaseLost):  # taken over: the old membership may not renew
        await a.heartbeat("n1", first, 30, STATS)
    [node] = await a.nodes()
    assert (node.epoch, node.site, node.alive) == (second, "oslo", True)


async def test_a_node_is_declared_dead_only_after_its_lease_lapsed(open_node: OpenNode) -> None:
    a, b = coordination_of(await open_node()), coordination_of(await open_node())
    epoch = await a.join("a", "paris", 30, STATS)
    assert not await b.declare_dead("a", epoch)
    await a.heartbeat("a", epoch, LEASE_S, STATS)
    await lapsed(b, "a")
    assert await b.declare_dead("a", epoch)
    assert not await b.declare_dead("a", epoch)  # once
    with pytest.raises(LeaseLost):
        await a.heartbeat("a", epoch, 30, STATS)
    [node] = await b.nodes()
    assert (node.name, node.alive) == ("a", False)


async def test_a_lapsed_lease_nobody_declared_is_renewed(open_node: OpenNode) -> None:
    a = coordination_of(await open_node())
    epoch = await a.join("a", "paris", LEASE_S, STATS)
    await lapsed(a, "a")
    await a.heartbeat("a", epoch, 30, STATS)
    assert [node.alive for node in await a.nodes()] == [True]


async def test_a_node_that_left_is_replaced_at_once(open_node: OpenNode) -> None:
    a, b = coordination_of(await open_node()), coordination_of(await open_node())
    first = await a.join("n1", "paris", 30, STATS)
    await a.leave("n1", first)
    assert await b.nodes() == []
    second = await b.join("n1", "paris", 30, STATS)
    assert second > first  # a fencing token is never handed out twice


async def test_a_fenced_node_writes_until_it_is_declared_dead(open_node: OpenNode) -> None:
    store, other = await open_node(), coordination_of(await open_node())
    coordination = coordination_of(store)
    epoch = await coordination.join("a", "paris", LEASE_S, STATS)
    coordination.fence("a", epoch)
    await store.add_config_version("a: 1", "sha-1", 1.0, None, None)
    await lapsed(other, "a")
    assert await other.declare_dead("a", epoch)
    with pytest.raises(Fenced, match="'a'"):
        await store.add_config_version("a: 2", "sha-2", 2.0, None, None)
    assert [version.sha256 for version in await store.config_versions()] == ["sha-1"]


async def test_every_write_of_a_node_declared_dead_is_refused(open_node: OpenNode) -> None:
    store, reader = await open_node(), await open_node()
    coordination, other = coordination_of(store), coordination_of(reader)
    epoch = await coordination.join("a", "paris", LEASE_S, STATS)
    coordination.fence("a", epoch)
    group = Group(id="core", name="Core")
    endpoint = Endpoint(id="tcp-127.0.0.1-22", name="SSH", group_id="core", type="tcp",
                        host="127.0.0.1", port=22)
    await store.sync_catalog([group], [endpoint])
    await store.add_to_outbox([message(1)])
    await lapsed(other, "a")
    assert await other.declare_dead("a", epoch)
    writes = [
        store.sync_catalog([group], [endpoint]),
        store.write_checks([CheckResult(endpoint.id, 10.0, CheckStatus.DOWN, None, "refused")]),
        store.write_outages([Outage(endpoint.id, 10.0, last_error="refused")]),
        store.write_snapshots([EndpointSnapshot(endpoint.id, State.DOWN, 10.0, 10.0)]),
        store.add_to_outbox([message(2)]),
        store.update_message(dataclasses.replace(message(1), attempts=1)),
        store.update_messages([dataclasses.replace(message(1), attempts=2)]),
        store.add_config_version("a: 1", "sha-1", 1.0, None, None),
    ]
    for write in writes:
        with pytest.raises(Fenced):
            await write
    assert await store.checks(endpoint.id, 0, 100) == []
    assert await store.outages(endpoint.id, 0, 100) == []
    assert [(m.id, m.attempts) for m in await reader.pending_messages()] == [("m1", 0)]


async def test_a_write_in_progress_holds_off_the_declaration(
    open_node: OpenNode, postgresql_url: str
) -> None:
    """The write's FOR SHARE row lock makes declare_dead wait for its commit: the write
    happens wholly before the declaration."""
    store = await open_node()
    coordination = coordination_of(store)
    epoch = await coordination.join("a", "paris", LEASE_S, STATS)
    engine = sqlalchemy.create_engine(database.database_url(postgresql_url))
    try:
        with engine.connect() as writer:
            transaction = writer.begin()
            Fence("a", epoch).hold(writer)
            writer.execute(sqlalchemy.text(
                "INSERT INTO config_versions (applied_ms, sha256, yaml_text) "
                "VALUES (1, 'in-progress', 'a: 1')"
            ))
            writer_pid = writer.scalar(sqlalchemy.text("SELECT pg_backend_pid()"))
            await lapsed(coordination, "a")
            declaration = asyncio.create_task(coordination.declare_dead("a", epoch))
            await until(lambda: blocked_by(writer_pid))
            assert not declaration.done()
            transaction.commit()
        assert await declaration
    finally:
        engine.dispose()
    assert [version.sha256 for version in await store.config_versions()] == ["in-progress"]


async def test_a_write_after_the_declaration_is_refused(
    open_node: OpenNode, postgresql_url: str
) -> None:
    coordination = coordination_of(await open_node())
    epoch = await coordination.join("a", "paris", LEASE_S, STATS)
    await lapsed(coordination, "a")
    assert await coordination.declare_dead("a", epoch)
    engine = sqlalchemy.create_engine(database.database_url(postgresql_url))
    try:
        with engine.connect() as writer, writer.begin(), pytest.raises(Fenced):
            Fence("a", epoch).hold(writer)
    finally:
        engine.dispose()


async def blocked_by(pid: int) -> bool:
    """Whether some backend waits for a lock that backend ``pid`` holds."""
    async with await psycopg.AsyncConnection.connect(POSTGRESQL_SERVER) as admin:
        cursor = await admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (pid,)
        )
        row = await cursor.fetchone()
    return row is not None and row[0] > 0


async def test_a_lock_is_held_by_one_node_until_it_lets_go(open_node: OpenNode) -> None:
    a, b = coordination_of(await open_node()), coordination_of(await open_node())
    assert await a.try_lock("rollups")
    assert await a.try_lock("rollups")  # held already
    assert not await b.try_lock("rollups")
    assert await b.try_lock("reports")  # another job, another lock
    await a.unlock("rollups")
    assert await b.try_lock("rollups")
    assert not await a.try_lock("rollups")


async def test_a_lock_taken_twice_is_let_go_once(open_node: OpenNode) -> None:
    """PostgreSQL counts advisory locks taken again; the node takes each once."""
    a, b = coordination_of(await open_node()), coordination_of(await open_node())
    assert await a.try_lock("rollups")
    assert await a.try_lock("rollups")
    await a.unlock("rollups")
    assert await b.try_lock("rollups")


async def test_a_closed_node_lets_go_of_its_locks(open_node: OpenNode) -> None:
    first, b = await open_node(), coordination_of(await open_node())
    assert await coordination_of(first).try_lock("rollups")
    await first.close()
    assert await b.try_lock("rollups")


async def test_a_lock_lost_with_its_connection_is_taken_again(open_node: OpenNode) -> None:
    a, b = coordination_of(await open_node()), coordination_of(await open_node())
    assert await a.try_lock("rollups")
    assert isinstance(a, PostgresCoordination)
    key = lock_key(await a.namespace(), "rollups")
    high, low = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
    assert await terminate(
        f"pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' "
        f"AND classid = {high} AND objid = {low} AND objsubid = 1)"
    ) == 1
    assert await b.try_lock("rollups")  # the lock ended with the session
    assert not await a.try_lock("rollups")  # a knows it no longer holds it
    await b.unlock("rollups")
    assert await a.try_lock("rollups")


async def test_messages_reach_every_listening_node(open_node: OpenNode) -> None:
    a, b = coordination_of(await open_node()), coordination_of(await open_node())
    received_a: list[tuple[str, str]] = []
    received_b: list[tuple[str, str]] = []
    await a.listen(("config", "catalog"), lambda *message: received_a.append(message))
    await b.listen(("config",), lambda *message: received_b.append(message))
    await a.publish("config", "version 7")
    await b.publish("catalog", "é" * 10)
    await until(lambda: len(received_a) == 2 and len(received_b) == 1)
    assert received_a == [("config", "version 7"), ("catalog", "é" * 10)]
    assert received_b == [("config", "version 7")]


async def test_listening_survives_a_dropped_connection(
    open_node: OpenNode, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = coordination_of(await open_node()), coordination_of(await open_node())
    received: list[str] = []
    await a.listen(("config",), lambda _channel, payload: received.append(payload))
    assert isinstance(a, PostgresCoordination)
    wire = channel_name(await a.namespace(), "config")
    assert await terminate(f"application_name = 'pulse cluster listen' AND query = 'LISTEN \"{wire}\"'") == 1
    await until(lambda: "lost the connection" in caplog.text)

    async def delivered() -> bool:
        await b.publish("config", "after")
        await asyncio.sleep(0.1)
        return "after" in received

    await until(delivered)
    assert "connected to the database again" in caplog.text


async def test_a_payload_too_long_is_refused(open_node: OpenNode) -> None:
    a = coordination_of(await open_node())
    with pytest.raises(ValueError, match="at most"):
        await a.publish("config", "x" * (a.max_payload + 1))


async def terminate(which: str) -> int:
    """End the backends ``which`` (a condition on ``pg_stat_activity`` that picks this test's
    own, never another test's); how many."""
    async with await psycopg.AsyncConnection.connect(POSTGRESQL_SERVER, autocommit=True) as admin:
        cursor = await admin.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE {which}"
        )
        row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


# -- outbox claims ----------------------------------------------------------------------------
def message(number: int) -> OutboxMessage:
    return OutboxMessage(
        id=f"m{number}", notifier="mail", kind="down", variables={"n": number},
        created_ts=1000.0 + number,
    )


async def fenced_node(open_node: OpenNode, name: str, lease_s: float = 30) -> SqlStore:
    store = await open_node()
    coordination = coordination_of(store)
    coordination.fence(name, await coordination.join(name, "paris", lease_s, STATS))
    return store


def ids(messages: list[OutboxMessage]) -> list[str]:
    return [message.id for message in messages]


async def test_a_node_delivers_the_messages_it_added(open_node: OpenNode) -> None:
    a, b = await fenced_node(open_node, "a"), await fenced_node(open_node, "b")
    await a.add_to_outbox([message(2), message(1)])
    await b.add_to_outbox([message(3)])
    assert ids(await a.pending_messages()) == ["m1", "m2"]
    assert ids(await b.pending_messages()) == ["m3"]
    assert ids(await a.pending_messages()) == ["m1", "m2"]  # its own, again


async def test_unclaimed_messages_go_to_one_node(open_node: OpenNode) -> None:
    """Messages of a store before the cluster (unclaimed) are split between the nodes that
    ask at once, and every one goes to exactly one."""
    before = await open_node()
    await before.add_to_outbox([message(number) for number in range(200)])
    a, b = await fenced_node(open_node, "a"), await fenced_node(open_node, "b")
    got_a, got_b = await asyncio.gather(a.pending_messages(), b.pending_messages())
    assert not set(ids(got_a)) & set(ids(got_b))
    assert sorted(ids(got_a) + ids(got_b)) == sorted(f"m{number}" for number in range(200))
    assert set(ids(await a.pending_messages())) == set(ids(got_a))
    assert set(ids(await b.pending_messages())) == set(ids(got_b))


async def test_a_message_being_claimed_is_passed_over(
    open_node: OpenNode, postgresql_url: str
) -> None:
    before = await open_node()
    await before.add_to_outbox([message(1), message(2)])
    a, b = await fenced_node(open_node, "a"), await fenced_node(open_node, "b")
    engine = sqlalchemy.create_engine(database.database_url(postgresql_url))
    try:
        with engine.connect() as other, other.begin():  # another node's claim in progress
            other.execute(sqlalchemy.text("SELECT 1 FROM outbox WHERE id = 'm1' FOR UPDATE"))
            assert ids(await a.pending_messages()) == ["m2"]
    finally:
        engine.dispose()
    assert ids(await b.pending_messages()) == ["m1"]
    assert ids(await a.pending_messages()) == ["m2"]


async def test_the_messages_of_a_dead_node_go_to_another(open_node: OpenNode) -> None:
    a = await fenced_node(open_node, "a", lease_s=LEASE_S)
    b = await fenced_node(open_node, "b")
    await a.add_to_outbox([message(1), message(2)])
    assert await b.pending_messages() == []
    await lapsed(coordination_of(b), "a")
    assert ids(await b.pending_messages()) == ["m1", "m2"]
    [node_a] = [node for node in await coordination_of(b).nodes() if node.name == "a"]
    assert await coordination_of(b).declare_dead("a", node_a.epoch)
    with pytest.raises(Fenced):
        await a.pending_messages()
    assert ids(await b.pending_messages()) == ["m1", "m2"]


async def test_the_messages_of_a_node_that_left_go_to_another(open_node: OpenNode) -> None:
    a, b = await fenced_node(open_node, "a"), await fenced_node(open_node, "b")
    await a.add_to_outbox([message(1)])
    [node_a] = [node for node in await coordination_of(b).nodes() if node.name == "a"]
    await coordination_of(a).leave("a", node_a.epoch)
    assert ids(await b.pending_messages()) == ["m1"]


async def test_without_a_fence_every_pending_message_is_read(open_node: OpenNode) -> None:
    a, reader = await fenced_node(open_node, "a"), await open_node()
    await a.add_to_outbox([message(1), message(2)])
    delivered = dataclasses.replace(
        message(2), state=OutboxState.DELIVERED, attempts=1, delivered_ts=2000.0
    )
    await a.update_message(delivered)
    assert ids(await reader.pending_messages()) == ["m1"]
    assert ids(await a.pending_messages()) == ["m1"]
