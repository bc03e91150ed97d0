"""Delivery from the outbox: retries, Retry-After, permanent errors, dead letters, fallback,
isolation of a hanging receiver, and no repeats after a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from pathlib import Path

from pulse_core.alerting.engine import AlertEngine
from pulse_core.notifier import DeliveryError
from pulse_core.outbox import OutboxHealth, OutboxMessage, OutboxState
from pulse_core.testing.receivers import JiraReceiver, Receiver, Reply
from pulse_core.testing.waiting import eventually

from .engine_kit import endpoint_of, engine_yaml, running_engine, went_down


def webhook(
    name: str, url: str, fallback: str | None = None, **options: object
) -> dict:
    entry = {"name": name, "webhook": {"url": url, **options}}
    return entry if fallback is None else {**entry, "fallback": fallback}


async def delivered(engine: AlertEngine, name: str) -> OutboxHealth:
    """The notifier's health once nothing is pending: the receiver answers before the courier
    records the delivery, so reading health right after the request would race it."""

    async def settled() -> OutboxHealth | None:
        health = (await engine.health())[name]
        return health if health.pending == 0 else None

    return await eventually(settled, timeout_s=10)


async def test_429_retry_after_is_honoured(tmp_path: Path) -> None:
    with Receiver() as receiver:
        receiver.script(Reply(429, "rate_limited", {"Retry-After": "1"}))
        async with running_engine(
            engine_yaml([webhook("ops", receiver.url)]), tmp_path
        ) as engine:
            plc = endpoint_of(engine, "127.0.1.1")
            started = time.monotonic()
            await engine.status_changed(went_down(plc, time.time()), plc)
            await receiver.wait_for_requests(2)
            waited = time.monotonic() - started
            health = await delivered(engine, "ops")
    assert waited >= 1.0
    assert (health.sent, health.pending, health.last_error) == (
        1,
        0,
        "HTTP 429 Too Many Requests: rate_limited",
    )


async def test_passing_failures_are_retried_with_backoff(tmp_path: Path) -> None:
    with Receiver() as receiver:
        receiver.script(Reply(503, "busy"), Reply(502, "bad gateway"))
        async with running_engine(
            engine_yaml([webhook("ops", receiver.url)]), tmp_path
        ) as engine:
            plc = endpoint_of(engine, "127.0.1.1")
            await engine.status_changed(went_down(plc, time.time()), plc)
            await receiver.wait_for_requests(3)
            health = await delivered(engine, "ops")
    assert len(receiver.requests) == 3
    assert (health.sent, health.failed) == (1, 0)


async def test_jira_400_is_a_dead_letter_with_its_errors_sent_to_the_fallback(
    tmp_path: Path,
) -> None:
    with JiraReceiver() as jira, Receiver() as mail_gateway:
        body = {
            "fields": {
                "project": {"key": "NOPE"},
                "summary": "{{endpoint.name}} is {{status}}",
                "issuetype": {"name": "Bug"},
            }
        }
        notifiers = [
            webhook("jira", jira.issue_url(2), body=body, fallback="backup"),
            webhook("backup", mail_gateway.url, body={"text": "{{message}}"}),
        ]
        text = engine_yaml(notifiers, alerts=[{"notify": ["jira"]}])
        async with running_engine(text, tmp_path) as engine:
            plc = endpoint_of(engine, "127.0.1.1")
            await engine.status_changed(went_down(plc, time.time()), plc)
            (fallback,) = await mail_gateway.wait_for_requests(1)
            await delivered(engine, "backup")
            dead = await engine.store.dead_letters(10)
            health = await engine.health()
    assert len(jira.requests) == 1  # permanent: not retried
    assert [message.notifier for message in dead] == ["jira"]
    assert dead[0].last_error == "HTTP 400 Bad Request: project: valid project is required"
    assert health["jira"].failed == 1 and health["backup"].sent == 1
    assert fallback.json()["text"].startswith(
        "[not delivered by jira: HTTP 400 Bad Request: project: valid project is required] "
    )


async def test_a_message_older_than_max_age_becomes_a_dead_letter(
    tmp_path: Path,
) -> None:
    with Receiver() as receiver:
        receiver.stop()  # never answers
        notifiers = [{**webhook("ops", receiver.url), "max_age": 0.5}]
        async with running_engine(engine_yaml(notifiers), tmp_path) as engine:
            plc = endpoint_of(engine, "127.0.1.1")
            await engine.status_changed(went_down(plc, time.time()), plc)
            for _ in range(100):
                dead = await engine.store.dead_letters(10)
                if dead:
                    break
                await asyncio.sleep(0.05)
    assert dead[0].state is OutboxState.DEAD
    assert dead[0].last_error.startswith(
        "not delivered within max_age; last error: ops: cannot reach"
    )


async def test_a_hanging_receiver_delays_neither_other_notifiers_nor_the_caller(
    tmp_path: Path,
) -> None:
    with Receiver() as hanging, Receiver() as healthy:
        hanging.delay_s = 8
        text = engine_yaml(
            [webhook("slow", hanging.url), webhook("fast", healthy.url)],
            alerting={"delivery_timeout": 3, "retry_initial": 30},
        )
        async with running_engine(text, tmp_path) as engine:
            plc = endpoint_of(engine, "127.0.1.1")
            started = time.monotonic()
            await engine.status_changed(went_down(plc, time.time()), plc)
            returned_after = time.monotonic() - started
            await healthy.wait_for_requests(1, timeout_s=2.5)
            delivered_after = time.monotonic() - started
            for _ in range(200):  # the slow attempt times out after 3 s and is recorded
                slow = (await engine.health())["slow"]
                if slow.last_error:
                    break
                await asyncio.sleep(0.05)
    assert returned_after < 1.5 and delivered_after < 2.5  # well before the 3 s timeout
    assert slow.pending == 1 and slow.last_error == "no answer within 3 s"


async def test_a_restart_sends_nothing_already_sent_and_resumes_what_was_pending(
    tmp_path: Path,
) -> None:
    with Receiver() as receiver:
        text = engine_yaml([webhook("ops", receiver.url)])
        async with running_engine(text, tmp_path) as engine:
            first, second = (
                endpoint_of(engine, "127.0.1.1"),
                endpoint_of(engine, "127.0.1.2"),
            )
            await engine.status_changed(went_down(first, time.time()), first)
            await receiver.wait_for_requests(1)
            receiver.stop()
            await engine.status_changed(went_down(second, time.time()), second)
            await asyncio.sleep(0.2)
        receiver.start()
        async with running_engine(text, tmp_path) as engine:
            await receiver.wait_for_requests(2)
            await asyncio.sleep(0.3)
    names = [request.json()["endpoint"]["name"] for request in receiver.requests]
    assert names == [first.name, second.name]


#: A receiver's error page: long, multi-line, with terminal escapes and a bidi override.
NOISY_PAGE = (
    "<html><body>\x1b[31mInternal\x1b[0m error\r\n\u202eTraceback (most recent call last):\n"
    + "  File \"/srv/app.py\", line 1, in handler\n" * 200
    + "</body></html>"
)


def is_clean_line(text: str) -> bool:
    return text.isprintable() and not any("\u2028" <= ch <= "\u202e" for ch in text)


async def test_a_receivers_error_page_is_reduced_to_one_short_clean_line(
    tmp_path: Path,
) -> None:
    with Receiver() as receiver:
        receiver.script(Reply(500, NOISY_PAGE), Reply(400, NOISY_PAGE))
        async with running_engine(
            engine_yaml([webhook("ops", receiver.url)]), tmp_path
        ) as engine:
            try:
                await engine.send_test("ops")
            except DeliveryError as error:
                tested = str(error)
            plc = endpoint_of(engine, "127.0.1.1")
            await engine.status_changed(went_down(plc, time.time()), plc)
            dead = await eventually(
                lambda: _first(engine.store.dead_letters(10)), timeout_s=10
            )
    assert tested.startswith("HTTP 500 Internal Server Error: <html><body> Internal error ")
    assert dead.last_error is not None
    assert dead.last_error.startswith("HTTP 400 Bad Request: <html><body> Internal error ")
    for error in (tested, dead.last_error):
        assert len(error) <= 200 and error.endswith("…") and is_clean_line(error), error


async def _first(letters: Awaitable[list[OutboxMessage]]) -> OutboxMessage | None:
    found = await letters
    return found[0] if found else None
