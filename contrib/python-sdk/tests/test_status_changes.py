"""Status changes from the push stream, over Server-Sent Events and over the WebSocket (the
``transport`` fixture): a real Pulse, a real device switched off, and a real network in
between that tests cut and a Pulse that restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

from thingconnect_pulse import PulseClient, PulseConnectionError, StatusChange, Transport

from pulse_core.contract.access import Role
from pulse_core.models import State
from pulse_core.testing.accounts import add_user
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.waiting import eventually

from .conftest import PASSWORD, PUSH_ROUTES, USERNAME, pulse_yaml
from .relay import Relay


async def damped_state(server: RunningPulse, state: State) -> bool | None:
    endpoint_id = server.pulse.config.endpoints[0].id
    current = server.pulse.monitor.states.get(endpoint_id)
    return True if current is not None and current.state == state else None


async def test_iter_status_changes_reports_a_device_going_offline(
    server: RunningPulse, client: PulseClient, plc: TcpListener, transport: Transport
) -> None:
    await eventually(lambda: damped_state(server, State.UP))
    listeners = server.pulse.events.subscriber_count
    changes: Iterator[StatusChange] = client.iter_status_changes(
        group="plant", transport=transport
    )
    first = asyncio.create_task(asyncio.to_thread(next, changes))

    async def streaming() -> bool | None:
        return True if server.pulse.events.subscriber_count > listeners else None

    await eventually(streaming)
    await plc.stop()
    change = await asyncio.wait_for(first, 20)
    await asyncio.to_thread(changes.close)  # type: ignore[attr-defined]
    assert change.endpoint_id == server.pulse.config.endpoints[0].id
    assert (change.previous_status, change.status, change.response_time_ms) == (
        "online",
        "offline",
        None,
    )
    assert change.timestamp.tzinfo is not None


async def test_on_status_change_calls_back_until_closed(
    server: RunningPulse, client: PulseClient, plc: TcpListener, transport: Transport
) -> None:
    await eventually(lambda: damped_state(server, State.UP))
    received: list[StatusChange] = []
    subscription = client.on_status_change(received.append, transport=transport)
    assert await asyncio.to_thread(subscription.wait_connected, 10)
    endpoint_id = server.pulse.config.endpoints[0].id
    assert subscription.statuses == {endpoint_id: "online"}

    await plc.stop()
    await eventually(lambda: at_least(received, 1))
    await plc.start()
    await eventually(lambda: at_least(received, 2))
    await asyncio.to_thread(subscription.close)

    assert not subscription.running
    assert [(c.previous_status, c.status) for c in received] == [
        ("online", "offline"),
        ("offline", "online"),
    ]
    assert received[1].response_time_ms is not None
    assert subscription.statuses == {endpoint_id: "online"}


async def test_a_failing_callback_is_reported_and_the_stream_goes_on(
    server: RunningPulse, client: PulseClient, plc: TcpListener
) -> None:
    await eventually(lambda: damped_state(server, State.UP))
    errors: list[Exception] = []

    def broken(change: StatusChange) -> None:
        raise RuntimeError(f"cannot handle {change.status}")

    subscription = client.on_status_change(broken, on_error=errors.append)
    assert await asyncio.to_thread(subscription.wait_connected, 10)
    await plc.stop()
    await eventually(lambda: at_least(errors, 1))
    await plc.start()
    await eventually(lambda: at_least(errors, 2))
    await asyncio.to_thread(subscription.close)
    assert [str(error) for error in errors] == ["cannot handle offline", "cannot handle online"]


async def test_a_refusal_ends_the_subscription(
    server: RunningPulse, transport: Transport
) -> None:
    errors: list[Exception] = []
    with PulseClient(server.base_url, username=USERNAME, password="wrong") as client:
        subscription = client.on_status_change(
            print, on_error=errors.append, transport=transport
        )
        assert await asyncio.to_thread(subscription.wait, 10)
    assert not subscription.running
    assert [getattr(error, "status_code", None) for error in errors] == [401]
    assert str(errors[0]).startswith("wrong username or password (HTTP 401): check the")


async def test_a_cut_connection_resumes_with_what_was_missed(
    server: RunningPulse, plc: TcpListener, relay: Relay, transport: Transport
) -> None:
    """Over SSE, Pulse replays the changes after the subscription's last event id; the
    WebSocket replays nothing, so the new connection's snapshot is compared with the
    statuses the subscription knew. Signed in with an API key."""
    await eventually(lambda: damped_state(server, State.UP))
    relay.upstream_port = server.pulse.config.server.port
    received: list[StatusChange] = []
    errors: list[Exception] = []
    with PulseClient(relay.url, api_key=admin_key(server)) as client:
        subscription = client.on_status_change(
            received.append, on_error=errors.append, transport=transport
        )
        assert await asyncio.to_thread(subscription.wait_connected, 10)

        relay.upstream_port = None
        relay.cut()
        await plc.stop()
        await eventually(lambda: damped_state(server, State.DOWN))
        assert received == []
        relay.upstream_port = server.pulse.config.server.port

        await eventually(lambda: at_least(received, 1))
        await asyncio.to_thread(subscription.close)
    assert [(c.previous_status, c.status) for c in received] == [("online", "offline")]
    assert received[0].timestamp.tzinfo is not None
    assert errors and all(isinstance(error, PulseConnectionError) for error in errors)
    assert relay.paths == [PUSH_ROUTES[transport]] * 2


async def test_a_restarted_pulse_is_compared_with_what_was_known(
    plc: TcpListener, relay: Relay, tmp_path: Path, transport: Transport
) -> None:
    """A restarted Pulse no longer has the events the subscription missed: it sends a fresh
    snapshot, and the subscription reports the differences with what it knew. A stopping
    Pulse closes a WebSocket with 1001 (going away), which is reconnected after."""
    config = pulse_yaml(plc.port)
    received: list[StatusChange] = []
    errors: list[Exception] = []
    with PulseClient(relay.url, username=USERNAME, password=PASSWORD) as client:
        async with running_pulse(config, tmp_path) as before:
            await add_user(before, USERNAME, Role.ADMIN, PASSWORD)
            await eventually(lambda: damped_state(before, State.UP))
            relay.upstream_port = before.pulse.config.server.port
            subscription = client.on_status_change(
                received.append, on_error=errors.append, transport=transport
            )
            assert await asyncio.to_thread(subscription.wait_connected, 10)
            relay.upstream_port = None
        await plc.stop()
        async with running_pulse(config, tmp_path) as after:  # same database, same user
            await eventually(lambda: damped_state(after, State.DOWN))
            relay.upstream_port = after.pulse.config.server.port
            await eventually(lambda: at_least(received, 1))
            await asyncio.to_thread(subscription.close)
    endpoint_id = after.pulse.config.endpoints[0].id
    assert [(c.endpoint_id, c.previous_status, c.status) for c in received] == [
        (endpoint_id, "online", "offline")
    ]
    goodbye = {  # an SSE stream just ends, which is no error
        "sse": "cannot reach Pulse at",
        "websocket": f"Pulse at {relay.url} closed the WebSocket (1001 Pulse is stopping; "
        "reconnect in a moment)",
    }
    assert str(errors[0]).startswith(goodbye[transport])


def admin_key(server: RunningPulse) -> str:
    """The administrator's API key ``running_pulse`` made."""
    return server.auth_headers["Authorization"].removeprefix("Bearer ")


async def at_least(items: list[object], count: int) -> bool | None:
    return True if len(items) >= count else None
