"""Status changes over Pulse's WebSocket (``transport="websocket"``): a real Pulse, a real
device switched off, a relay the tests cut, a Pulse that stops and comes back, a key revoked
while its socket is open, and ``wss://`` trusted through the test CA."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from thingconnect_pulse import (
    AsyncPulseClient,
    AuthenticationError,
    CredentialsRevokedError,
    InsecureTLSWarning,
    PulseClient,
    PulseConnectionError,
    StatusChange,
)

from pulse_core.models import State
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.tls import TestCA
from pulse_core.testing.waiting import eventually

from .conftest import PASSWORD, USERNAME, pulse_yaml
from .relay import Relay
from .test_pulse_https import TLS
from .test_status_changes import damped_state


def socket_handshakes(relay: Relay) -> int:
    """How many of the connections the client made through ``relay`` opened the WebSocket."""
    return sum(
        request.startswith(b"GET /api/ws/status") and b"upgrade: websocket" in request.lower()
        for request in relay.requests
    )


async def new_key(server: RunningPulse, name: str) -> tuple[int, str]:
    """A viewer's API key made through the API, as a user makes one: its id and secret."""
    async with server.client() as admin:
        created = await admin.post("/api/apikeys", json={"name": name, "role": "viewer"})
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["key"]


async def revoke(server: RunningPulse, key_id: int) -> None:
    async with server.client() as admin:
        revoked = await admin.delete(f"/api/apikeys/{key_id}")
    assert revoked.status_code == 204, revoked.text


async def test_a_status_change_arrives_over_the_websocket(
    server: RunningPulse, plc: TcpListener, relay: Relay
) -> None:
    await eventually(lambda: damped_state(server, State.UP))
    relay.upstream_port = server.pulse.config.server.port
    received: list[StatusChange] = []
    with PulseClient(relay.url, username=USERNAME, password=PASSWORD) as client:
        subscription = client.on_status_change(received.append, transport="websocket")
        assert await asyncio.to_thread(subscription.wait_connected, 10)
        endpoint_id = server.pulse.config.endpoints[0].id
        assert subscription.statuses == {endpoint_id: "online"}
        await plc.stop()
        await eventually(lambda: _received(received, 1))
        await asyncio.to_thread(subscription.close)
    assert not subscription.running
    assert [(c.endpoint_id, c.previous_status, c.status, c.response_time_ms) for c in received] == [
        (endpoint_id, "online", "offline", None)
    ]
    assert received[0].timestamp.tzinfo is not None
    assert (socket_handshakes(relay), len(relay.requests)) == (1, 1)  # HTTP Basic, on the socket


async def test_iter_status_changes_reads_one_websocket(
    server: RunningPulse, client: PulseClient, plc: TcpListener
) -> None:
    await eventually(lambda: damped_state(server, State.UP))
    endpoint_id = server.pulse.config.endpoints[0].id
    streams = server.pulse.events.subscriber_count
    changes: Iterator[StatusChange] = client.iter_status_changes(
        endpoint_id=endpoint_id, transport="websocket"
    )
    first = asyncio.create_task(asyncio.to_thread(next, changes))

    async def streaming() -> bool | None:
        return True if server.pulse.events.subscriber_count > streams else None

    await eventually(streaming)
    await plc.stop()
    change = await asyncio.wait_for(first, 20)
    await asyncio.to_thread(changes.close)  # type: ignore[attr-defined]
    assert (change.endpoint_id, change.previous_status, change.status) == (
        endpoint_id,
        "online",
        "offline",
    )


async def test_a_cut_websocket_reconnects_and_reports_the_change_made_meanwhile(
    server: RunningPulse, plc: TcpListener, relay: Relay
) -> None:
    """The WebSocket replays nothing: the snapshot of the new connection is compared with
    the statuses the subscription knew."""
    await eventually(lambda: damped_state(server, State.UP))
    relay.upstream_port = server.pulse.config.server.port
    api_key = _key(server)
    received: list[StatusChange] = []
    errors: list[Exception] = []
    with PulseClient(relay.url, api_key=api_key) as client:
        subscription = client.on_status_change(
            received.append, on_error=errors.append, transport="websocket"
        )
        assert await asyncio.to_thread(subscription.wait_connected, 10)

        relay.upstream_port = None
        relay.cut()
        await plc.stop()
        await eventually(lambda: damped_state(server, State.DOWN))
        assert received == []
        relay.upstream_port = server.pulse.config.server.port

        await eventually(lambda: _received(received, 1))
        await plc.start()  # and the stream goes on live
        await eventually(lambda: _received(received, 2))
        await asyncio.to_thread(subscription.close)
    endpoint_id = server.pulse.config.endpoints[0].id
    assert [(c.endpoint_id, c.previous_status, c.status) for c in received] == [
        (endpoint_id, "online", "offline"),
        (endpoint_id, "offline", "online"),
    ]
    assert received[0].timestamp.tzinfo is not None
    assert errors and all(isinstance(error, PulseConnectionError) for error in errors)
    assert str(errors[0]).startswith(f"the WebSocket to Pulse at {relay.url} broke")
    assert socket_handshakes(relay) == 2 == len(relay.requests)


async def test_a_stopping_pulse_is_reconnected_to_once_back(
    plc: TcpListener, relay: Relay, tmp_path: Path
) -> None:
    """Pulse says goodbye with 1001; the subscription comes back to the restarted Pulse and
    reports the change made while it was down."""
    config = pulse_yaml(plc.port)
    received: list[StatusChange] = []
    errors: list[Exception] = []
    async with running_pulse(config, tmp_path) as before:
        await eventually(lambda: damped_state(before, State.UP))
        relay.upstream_port = before.pulse.config.server.port
        client = PulseClient(relay.url, api_key=_key(before))
        subscription = client.on_status_change(
            received.append, on_error=errors.append, transport="websocket"
        )
        assert await asyncio.to_thread(subscription.wait_connected, 10)
    relay.upstream_port = None
    await plc.stop()
    with client:
        async with running_pulse(config, tmp_path) as after:  # same database, same key
            await eventually(lambda: damped_state(after, State.DOWN))
            relay.upstream_port = after.pulse.config.server.port
            await eventually(lambda: _received(received, 1))
            await asyncio.to_thread(subscription.close)
    endpoint_id = after.pulse.config.endpoints[0].id
    assert [(c.endpoint_id, c.previous_status, c.status) for c in received] == [
        (endpoint_id, "online", "offline")
    ]
    assert str(errors[0]) == (
        f"Pulse at {relay.url} closed the WebSocket (1001 Pulse is stopping; reconnect in a "
        "moment)"
    )


async def test_a_revoked_key_ends_the_subscription(server: RunningPulse) -> None:
    key_id, key = await new_key(server, "wallboard")
    errors: list[Exception] = []
    with PulseClient(server.base_url, api_key=key) as client:
        subscription = client.on_status_change(
            print, on_error=errors.append, transport="websocket"
        )
        assert await asyncio.to_thread(subscription.wait_connected, 10)
        await revoke(server, key_id)
        assert await asyncio.to_thread(subscription.wait, 10)
    assert not subscription.running
    assert [type(error) for error in errors] == [CredentialsRevokedError]
    assert str(errors[0]) == (
        f"Pulse at {server.base_url} ended the status stream (WebSocket close 1008 credentials "
        "ended: API key revoked, user deactivated, signed out or new password): give the "
        "client credentials that hold (a new API key, or the new password) and subscribe again"
    )


async def test_wrong_credentials_end_the_subscription(server: RunningPulse) -> None:
    errors: list[Exception] = []
    with PulseClient(server.base_url, username=USERNAME, password="wrong") as client:
        subscription = client.on_status_change(
            print, on_error=errors.append, transport="websocket"
        )
        assert await asyncio.to_thread(subscription.wait, 10)
    assert [type(error) for error in errors] == [AuthenticationError]
    assert str(errors[0]).startswith("wrong username or password (HTTP 401): check the")


async def test_async_status_changes_catch_up_after_a_cut(
    server: RunningPulse, plc: TcpListener, relay: Relay
) -> None:
    await eventually(lambda: damped_state(server, State.UP))
    relay.upstream_port = server.pulse.config.server.port
    errors: list[Exception] = []
    async with AsyncPulseClient(relay.url, username=USERNAME, password=PASSWORD) as client:
        changes = client.status_changes(
            group="plant", on_error=errors.append, transport="websocket"
        )
        streams = server.pulse.events.subscriber_count
        first = asyncio.ensure_future(anext(changes))

        async def streaming() -> bool | None:
            return True if server.pulse.events.subscriber_count > streams else None

        await eventually(streaming)
        relay.upstream_port = None
        relay.cut()
        await plc.stop()
        await eventually(lambda: damped_state(server, State.DOWN))
        assert not first.done()
        relay.upstream_port = server.pulse.config.server.port
        change: StatusChange = await asyncio.wait_for(first, 30)
        await plc.start()
        back: StatusChange = await asyncio.wait_for(anext(changes), 30)
        await changes.aclose()  # type: ignore[attr-defined]
    assert (change.previous_status, change.status) == ("online", "offline")
    assert (back.previous_status, back.status) == ("offline", "online")
    assert errors and all(isinstance(error, PulseConnectionError) for error in errors)
    assert socket_handshakes(relay) == 2 == len(relay.requests)


async def test_async_status_changes_raise_when_the_key_is_revoked(server: RunningPulse) -> None:
    key_id, key = await new_key(server, "script")
    async with AsyncPulseClient(server.base_url, api_key=key) as client:
        changes: AsyncIterator[StatusChange] = client.status_changes(transport="websocket")
        streams = server.pulse.events.subscriber_count
        first = asyncio.ensure_future(anext(changes))

        async def streaming() -> bool | None:
            return True if server.pulse.events.subscriber_count > streams else None

        await eventually(streaming)
        await revoke(server, key_id)
        with pytest.raises(CredentialsRevokedError, match="WebSocket close 1008"):
            await asyncio.wait_for(first, 10)


async def test_wss_is_checked_against_the_ca_file(plc: TcpListener, tmp_path: Path) -> None:
    """Pulse serving TLS itself: the socket is ``wss://``, trusted through ``verify``'s CA
    file, refused without it with the message saying what to pass, unchecked only with a
    warning."""
    ca = TestCA(tmp_path / "pki")
    ca.issue()
    async with running_pulse(pulse_yaml(plc.port) + TLS, tmp_path, ca.ca_file) as server:
        await eventually(lambda: damped_state(server, State.UP))
        key = _key(server)
        trusting = PulseClient(server.base_url, api_key=key, verify=ca.ca_file)
        with pytest.warns(InsecureTLSWarning):
            unchecked = PulseClient(server.base_url, api_key=key, verify=False)
        untrusting = PulseClient(server.base_url, api_key=key)
        received: list[StatusChange] = []
        with trusting, unchecked, untrusting:
            subscriptions = [
                c.on_status_change(received.append, transport="websocket")
                for c in (trusting, unchecked)
            ]
            for subscription in subscriptions:
                assert await asyncio.to_thread(subscription.wait_connected, 10)
            with pytest.raises(PulseConnectionError) as refused:
                await asyncio.to_thread(
                    next, untrusting.iter_status_changes(transport="websocket")
                )
            await plc.stop()
            await eventually(lambda: _received(received, 2))
            for subscription in subscriptions:
                await asyncio.to_thread(subscription.close)
    assert server.base_url.startswith("https://")
    assert [(c.previous_status, c.status) for c in received] == [("online", "offline")] * 2
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    assert str(refused.value).endswith(
        "give the client verify='/path/to/ca.pem', the certificate of the CA that signed it"
    )


def test_an_unknown_transport_is_named() -> None:
    with PulseClient("http://127.0.0.1:9", api_key="pulse_x") as client:
        with pytest.raises(ValueError, match="transport='ws' is not one of 'sse', 'websocket'"):
            client.on_status_change(print, transport="ws")  # type: ignore[arg-type]


def _key(server: RunningPulse) -> str:
    """The administrator's API key ``running_pulse`` made, kept in its database."""
    return server.auth_headers["Authorization"].removeprefix("Bearer ")


async def _received(items: list[object], count: int) -> bool | None:
    return True if len(items) >= count else None
