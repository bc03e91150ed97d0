"""Credentials revoked while a stream is open end the subscription, at once over the
WebSocket (close 1008); ``wss://`` is checked as ``verify`` says. A real Pulse, a real
device switched off. What else both transports do is tested over each in
test_status_changes.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
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
    Transport,
)

from pulse_core.models import State
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.tls import TestCA
from pulse_core.testing.waiting import eventually

from .conftest import pulse_yaml
from .test_pulse_https import TLS
from .test_status_changes import admin_key, at_least, damped_state


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


async def test_a_revoked_key_ends_the_subscription(
    server: RunningPulse, transport: Transport
) -> None:
    """The WebSocket's close 1008 ends it at once; an SSE stream just ends, and the
    reconnection is refused."""
    key_id, key = await new_key(server, "wallboard")
    errors: list[Exception] = []
    with PulseClient(server.base_url, api_key=key) as client:
        subscription = client.on_status_change(
            print, on_error=errors.append, transport=transport
        )
        assert await asyncio.to_thread(subscription.wait_connected, 10)
        await revoke(server, key_id)
        assert await asyncio.to_thread(subscription.wait, 10)
    assert not subscription.running
    ending = {
        "sse": (AuthenticationError, "the API key is not valid: it was revoked or mistyped, "
                "or its owner deactivated (HTTP 401): check the username and password, or the "
                "API key, given to the client"),
        "websocket": (CredentialsRevokedError, f"Pulse at {server.base_url} ended the status "
                      "stream (WebSocket close 1008 credentials ended: API key revoked, user "
                      "deactivated, signed out or new password): give the client credentials "
                      "that hold (a new API key, or the new password) and subscribe again"),
    }
    assert [(type(error), str(error)) for error in errors] == [ending[transport]]


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
        key = admin_key(server)
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
            await eventually(lambda: at_least(received, 2))
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
