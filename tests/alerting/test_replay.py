"""A change stored just before a crash is announced after the restart, exactly once.

Each test crashes a real ``pulse run`` (``SIGKILL``) right after a status change is stored
and before the alert engine hears of it (:mod:`tests.alerting.crash_on_change`), restarts
it without the crash plugin, and counts what a real Slack-like receiver gets.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.receivers import SlackReceiver

from .conftest import eventually
from .process_kit import (
    crash_plugin_path,
    outbox_counts,
    run_until_it_crashes,
    start_pulse,
    stop,
    stored_outages,
    wait_until_monitoring,
    write_process_config,
)

#: Time for a running Pulse to send what it should not.
QUIET_S = 2.0


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    with SlackReceiver() as receiver:
        yield receiver


@pytest.fixture
def config(tmp_path: Path, tcp_listener: TcpListener, slack: SlackReceiver) -> Path:
    """A ``pulse run`` configuration: one TCP endpoint on ``tcp_listener``, alerts to Slack."""
    return write_process_config(
        tmp_path,
        tcp_listener.port,
        [
            {
                "name": "ops-slack",
                "slack": {
                    "webhookUrl": f"{slack.url}/services/T0/B0/x",
                    "messageTemplate": {"text": "{{message}}"},
                },
            }
        ],
    )


def texts(slack: SlackReceiver) -> list[str]:
    return [message["text"] for message in slack.messages]


async def test_an_offline_change_stored_before_a_crash_is_sent_once_and_never_again(
    tmp_path: Path, tcp_listener: TcpListener, slack: SlackReceiver, config: Path
) -> None:
    log, database = tmp_path / "pulse.log", tmp_path / "pulse.db"
    await tcp_listener.stop()
    run_until_it_crashes(config, log, crash_plugin_path(tmp_path))
    outages = await stored_outages(database)
    assert [outage.ended_ts for outage in outages] == [None]  # stored ...
    assert await outbox_counts(database) == {}  # ... and never announced
    assert slack.messages == []

    second = start_pulse(config, log)
    try:
        await eventually(lambda: "ops-slack delivered" in log.read_text(), timeout_s=20)
    finally:
        stop(second, signal.SIGKILL)

    third = start_pulse(config, log)
    try:
        await wait_until_monitoring(log, starts=3)
        await asyncio.sleep(QUIET_S)
    finally:
        stop(third, signal.SIGTERM)
    assert texts(slack) == [
        f"PLC 1 (127.0.0.1:{tcp_listener.port}) is offline (was unknown): "
        + outages[0].last_error
    ], log.read_text()


async def test_a_recovery_stored_before_a_crash_is_sent_after_the_restart(
    tmp_path: Path, tcp_listener: TcpListener, slack: SlackReceiver, config: Path
) -> None:
    log = tmp_path / "pulse.log"
    await tcp_listener.stop()
    first = start_pulse(config, log)
    try:
        # logged once the delivery is marked in the outbox: killing before that would
        # resend it, as at-least-once delivery does (docs/alerting.md)
        await eventually(lambda: "ops-slack delivered" in log.read_text(), timeout_s=20)
    finally:
        stop(first, signal.SIGKILL)

    await tcp_listener.start()
    run_until_it_crashes(config, log, crash_plugin_path(tmp_path))
    assert len(slack.messages) == 1

    third = start_pulse(config, log)
    try:
        await eventually(lambda: len(slack.messages) == 2, timeout_s=20)
        await asyncio.sleep(QUIET_S)
    finally:
        stop(third, signal.SIGTERM)
    outages = await stored_outages(tmp_path / "pulse.db")
    assert len(outages) == 1 and outages[0].ended_ts is not None
    offline, online = texts(slack)
    assert "is offline (was unknown)" in offline
    assert (
        f"PLC 1 (127.0.0.1:{tcp_listener.port}) is online (was offline) after" in online
    )


async def test_a_first_state_online_stored_before_a_crash_sends_nothing(
    tmp_path: Path, tcp_listener: TcpListener, slack: SlackReceiver, config: Path
) -> None:
    log = tmp_path / "pulse.log"
    run_until_it_crashes(config, log, crash_plugin_path(tmp_path))
    assert await stored_outages(tmp_path / "pulse.db") == []

    second = start_pulse(config, log)
    try:
        await wait_until_monitoring(log, starts=2)
        await asyncio.sleep(QUIET_S)
        assert slack.messages == []
        await tcp_listener.stop()  # the next change is news: proof the alerts work
        await eventually(lambda: len(slack.messages) == 1, timeout_s=20)
        await asyncio.sleep(QUIET_S)
    finally:
        stop(second, signal.SIGTERM)
    assert len(slack.messages) == 1
    assert "is offline (was online)" in texts(slack)[0]
