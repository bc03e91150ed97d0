"""A notification survives ``kill -9``: written to the outbox first, sent after the restart."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.receivers import Receiver, ServiceNowReceiver

from .conftest import eventually
from .process_kit import (
    outbox_counts,
    start_pulse,
    stop,
    wait_until_monitoring,
    write_process_config,
)


def pending_attempts(database: Path) -> int:
    """Attempts made so far on pending outbox messages (0 when none is pending yet)."""
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        try:
            row = connection.execute(
                "SELECT COALESCE(MAX(attempts), 0) FROM outbox WHERE state = 'pending'"
            ).fetchone()
        except sqlite3.OperationalError:  # the table is not there yet
            return 0
    return int(row[0])


async def test_killed_while_the_receiver_is_down_the_notification_arrives_once_after_restart(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    servicenow = ServiceNowReceiver()  # not started: the receiver is down
    database = tmp_path / "pulse.db"
    config = write_process_config(
        tmp_path,
        tcp_listener.port,
        [
            {
                "name": "servicenow",
                "webhook": {
                    "url": servicenow.incident_url,
                    "body": {"short_description": "{{message}}"},
                },
            }
        ],
    )
    log = tmp_path / "pulse.log"
    await tcp_listener.stop()
    first = start_pulse(config, log)
    try:
        await eventually(lambda: pending_attempts(database) >= 2, timeout_s=20)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()

    servicenow.start()
    second = start_pulse(config, log)
    try:
        await servicenow.wait_for_requests(1, timeout_s=20)
        await asyncio.sleep(2)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
        servicenow.stop()
    assert len(servicenow.requests) == 1, log.read_text()
    description = servicenow.requests[0].json()["short_description"]
    assert description.startswith(
        f"PLC 1 (127.0.0.1:{tcp_listener.port}) is offline (was unknown)"
    )


async def test_a_sigterm_during_a_delivery_waits_for_it_and_the_restart_repeats_nothing(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    """The receiver takes 3 s to answer; Pulse is stopped while it does: the stop waits for
    the answer and marks the message delivered, so the next start does not send it again."""
    receiver = Receiver()
    receiver.delay_s = 3.0
    config = write_process_config(
        tmp_path,
        tcp_listener.port,
        [{"name": "ops", "webhook": {"url": receiver.url, "body": {"text": "{{message}}"}}}],
    )
    log = tmp_path / "pulse.log"
    await tcp_listener.stop()
    with receiver:
        first = start_pulse(config, log)
        try:
            await receiver.wait_for_requests(1, timeout_s=30)
        finally:
            stop(first, signal.SIGTERM)
        assert first.returncode == 0, log.read_text()
        second = start_pulse(config, log)
        try:
            await wait_until_monitoring(log, starts=2)
            await asyncio.sleep(2)
        finally:
            stop(second, signal.SIGTERM)
    assert len(receiver.requests) == 1, log.read_text()
    assert await outbox_counts(tmp_path / "pulse.db") == {"ops": (0, 1)}
