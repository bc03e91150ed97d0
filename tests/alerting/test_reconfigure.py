"""A configuration applied at run time: what did not change keeps running, and a notifier that
restarts never sends again what it was delivering."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import yaml

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.receivers import Receiver
from pulse_core.testing.server import running_pulse

from .conftest import pulse_yaml
from .engine_kit import (
    all_sent,
    endpoint_of,
    engine_config,
    engine_yaml,
    running_engine,
    webhook,
    went_down,
)


def with_note(yaml_text: str, note: str) -> str:
    """The same configuration with a note on its first target: nothing alerting reads."""
    document = yaml.safe_load(yaml_text)
    document["targets"][0]["notes"] = note
    return yaml.safe_dump(document, sort_keys=False)


async def test_a_note_applied_during_deliveries_restarts_no_notifier_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    receivers = [Receiver() for _ in range(3)]
    for receiver in receivers:
        receiver.delay_s = 1.5
        receiver.start()
    try:
        names = [f"n{index}" for index in range(len(receivers))]
        text = engine_yaml(
            [webhook(name, receiver) for name, receiver in zip(names, receivers)]
        )
        async with running_engine(text, tmp_path) as engine:
            notifiers = dict(engine.notifiers)
            plc = endpoint_of(engine, "127.0.1.1")
            await engine.status_changed(went_down(plc, time.time()), plc)
            for receiver in receivers:  # every delivery is under way
                await receiver.wait_for_requests(1)
            await engine.apply(engine_config(with_note(text, "spare in the cabinet")))
            await engine.apply(engine_config(text))  # the same text again
            for name in names:
                await all_sent(engine, name, 1)
            await asyncio.sleep(0.5)
            kept = all(engine.notifiers[name] is notifiers[name] for name in names)
    finally:
        for receiver in receivers:
            receiver.stop()
    assert [len(receiver.requests) for receiver in receivers] == [1, 1, 1]
    assert kept


async def test_a_note_put_through_the_api_during_five_deliveries_sends_each_once(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    """A real Pulse: the target goes offline, five receivers take 3 s to answer, and an
    editor changes the endpoint's notes meanwhile."""
    receivers = [Receiver() for _ in range(5)]
    for receiver in receivers:
        receiver.delay_s = 3.0
        receiver.start()
    notifiers = [
        {"name": f"n{index}", "webhook": {"url": receiver.url, "body": {"text": "{{message}}"}}}
        for index, receiver in enumerate(receivers)
    ]
    try:
        async with running_pulse(pulse_yaml(tcp_listener.port, notifiers), tmp_path) as server:
            await tcp_listener.stop()
            for receiver in receivers:
                await receiver.wait_for_requests(1, timeout_s=20)
            (endpoint,) = server.pulse.config.endpoints
            async with server.client() as client:
                reply = await client.put(
                    f"/api/endpoints/{endpoint.id}", json={"notes": "spare in the cabinet"}
                )
            assert reply.status_code == 200, reply.text
            for notifier in notifiers:
                await all_sent(server.pulse.alerts, notifier["name"], 1)
            await asyncio.sleep(1)
    finally:
        for receiver in receivers:
            receiver.stop()
    assert [len(receiver.requests) for receiver in receivers] == [1] * 5


async def test_a_changed_notifier_restarts_after_its_delivery_under_way_is_stored(
    tmp_path: Path,
) -> None:
    with Receiver() as receiver:
        receiver.delay_s = 1.5
        text = engine_yaml([webhook("ops", receiver)])
        changed = yaml.safe_load(text)
        changed["notifiers"][0]["webhook"]["body"]["source"] = "pulse"
        async with running_engine(text, tmp_path) as engine:
            first, second = endpoint_of(engine, "127.0.1.1"), endpoint_of(engine, "127.0.1.2")
            await engine.status_changed(went_down(first, time.time()), first)
            await receiver.wait_for_requests(1)
            await engine.apply(engine_config(yaml.safe_dump(changed, sort_keys=False)))
            await engine.status_changed(went_down(second, time.time()), second)
            await all_sent(engine, "ops", 2)
            await asyncio.sleep(0.5)
    bodies = [request.json() for request in receiver.requests]
    assert [body["text"].split(" (")[0] for body in bodies] == [first.name, second.name]
    assert "source" not in bodies[0] and bodies[1]["source"] == "pulse"


async def test_a_storm_window_outlives_an_unrelated_change(tmp_path: Path) -> None:
    with Receiver() as receiver:
        text = engine_yaml(
            [webhook("ops", receiver)],
            alerting={"storm": {"threshold": 1, "window": 3}, "retry_initial": 0.2},
        )
        async with running_engine(text, tmp_path) as engine:
            now = time.time()
            for index in (1, 2, 3):
                endpoint = endpoint_of(engine, f"127.0.1.{index}")
                await engine.status_changed(went_down(endpoint, now + index / 100), endpoint)
            await receiver.wait_for_requests(1)
            await engine.apply(engine_config(with_note(text, "moved to line 2")))
            await asyncio.sleep(0.5)
            during_the_window = len(receiver.requests)
            await receiver.wait_for_requests(2, timeout_s=10)
    assert during_the_window == 1
    summary = receiver.requests[1].json()
    assert (summary["count"], summary["text"].split(" changed")[0]) == (
        "2",
        "2 endpoints in Press shop",
    )


async def test_reminders_stop_cleanly_when_an_applied_configuration_drops_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Receiver() as receiver:
        reminding = engine_yaml(
            [webhook("ops", receiver)], alerts=[{"notify": ["ops"], "repeat_every": 1}]
        )
        quiet = engine_yaml([webhook("ops", receiver)], alerts=[{"notify": ["ops"]}])
        async with running_engine(reminding, tmp_path) as engine:
            plc = endpoint_of(engine, "127.0.1.1")
            await engine.status_changed(went_down(plc, time.time()), plc)
            await receiver.wait_for_requests(2)  # the change, then a reminder
            await engine.apply(engine_config(quiet))
            await asyncio.sleep(0.5)  # a reminder already on its way may still arrive
            settled = len(receiver.requests)
            await asyncio.sleep(2.5)
    assert receiver.requests[1].json()["text"].startswith(f"{plc.name} ")
    assert "still offline" in receiver.requests[1].json()["text"]
    assert len(receiver.requests) == settled
    assert "sending reminders failed" not in caplog.text
