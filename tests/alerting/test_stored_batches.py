"""A stored batch's changes go into the outbox in one transaction: every message, and each
endpoint's announced mark at its latest change; a batch the outbox cannot take is replayed."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from pulse_core.alerting.replay import unannounced_changes
from pulse_core.models import Endpoint, State, StatusChange
from pulse_core.outbox import OutboxMessage
from pulse_core.stored import StoredBatch
from pulse_core.testing.receivers import Receiver

from .engine_kit import came_up, endpoint_of, engine_yaml, running_engine, webhook, went_down


def batch_of(*changes: tuple[StatusChange, Endpoint]) -> StoredBatch:
    return StoredBatch((), changes, remote=False)


async def test_a_batch_of_changes_is_one_outbox_transaction_with_each_endpoints_latest_mark(
    tmp_path: Path,
) -> None:
    with Receiver() as receiver:
        async with running_engine(engine_yaml([webhook("ops", receiver)]), tmp_path) as engine:
            writes: list[tuple[int, dict[str, float]]] = []
            add_to_outbox = engine.store.add_to_outbox

            async def counted(
                messages: Sequence[OutboxMessage], announced: Mapping[str, float] | None = None
            ) -> int:
                writes.append((len(messages), dict(announced or {})))
                return await add_to_outbox(messages, announced)

            engine.store.add_to_outbox = counted  # type: ignore[method-assign]
            now = round(time.time(), 3)  # what the store keeps: whole milliseconds
            press, paint, office = (
                endpoint_of(engine, host) for host in ("127.0.1.1", "127.0.1.2", "127.0.2.1")
            )
            await engine.stored(batch_of(
                (went_down(press, now), press),
                (went_down(paint, now), paint),
                (came_up(press, now + 1, down_since=now), press),
                (went_down(office, now + 2), office),
            ))
            requests = await receiver.wait_for_requests(4)
            marks = await engine.store.announced_up_to()
    assert writes == [(4, {press.id: now + 1, paint.id: now, office.id: now + 2})]
    texts = sorted(request.json()["text"] for request in requests)
    assert [text.split(" (")[0] for text in texts] == sorted(
        [press.name, paint.name, press.name, office.name]
    )
    assert marks == {press.id: now + 1, paint.id: now, office.id: now + 2}


async def test_a_batch_the_outbox_refuses_is_logged_and_left_for_the_replay(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Receiver() as receiver:
        async with running_engine(engine_yaml([webhook("ops", receiver)]), tmp_path) as engine:

            async def refused(
                messages: Sequence[OutboxMessage], announced: Mapping[str, float] | None = None
            ) -> int:
                raise OSError("disk full")

            add_to_outbox = engine.store.add_to_outbox
            engine.store.add_to_outbox = refused  # type: ignore[method-assign]
            now = round(time.time(), 3)  # what the store keeps: whole milliseconds
            press, paint = endpoint_of(engine, "127.0.1.1"), endpoint_of(engine, "127.0.1.2")
            changes = [(went_down(press, now), press), (went_down(paint, now), paint)]
            await engine.stored(batch_of(*changes))
            engine.store.add_to_outbox = add_to_outbox  # type: ignore[method-assign]
            assert await engine.store.announced_up_to() == {}
            for change, endpoint in changes:  # as the writer stores them before the engine hears
                await engine.store.write_outages([change.outage])  # type: ignore[list-item]
            replayed = await unannounced_changes(engine.store, [press, paint], now + 1, 3600)
    assert receiver.requests == []
    assert "alerting on 2 status changes failed" in caplog.text
    assert "disk full" in caplog.text
    assert sorted(endpoint.id for _, endpoint in replayed) == sorted([press.id, paint.id])
    assert all(change.state is State.DOWN for change, _ in replayed)
