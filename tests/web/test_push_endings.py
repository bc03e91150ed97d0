"""Live streams end from the server's side when the credentials they were opened with end
(key revoked, user deactivated, signed out, new password) and when Pulse stops: real
servers, real WebSocket and SSE clients."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.web.auth.provisioning import issue_api_key
from pulse_core.web.auth.sessions import COOKIE_NAME, session_id
from pulse_store_sql import SqlStore

CONFIG = """
version: 1
defaults: {interval_seconds: 3600}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant, name: PLC}]
"""
PASSWORD = "correct horse"
#: Ending a stream is an announcement, not a poll: it arrives at once. The bound leaves
#: room for a busy machine.
PROMPTLY_S = 1.0


def socket_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/api/ws/status"


async def opened_socket(base_url: str, headers: dict[str, str]) -> ClientConnection:
    """A WebSocket past its snapshot."""
    socket = await connect(socket_url(base_url), additional_headers=headers)
    snapshot = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert snapshot["type"] == "snapshot"
    return socket


async def close_code(socket: ClientConnection, within_s: float) -> int | None:
    """The code the server closed ``socket`` with within ``within_s``; ``None`` if it is
    still open then."""
    try:
        async with asyncio.timeout(within_s):
            while True:
                await socket.recv()
    except TimeoutError:
        return None
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "closed without a close frame"
        return closed.rcvd.code


@asynccontextmanager
async def event_stream(
    server: RunningPulse, headers: dict[str, str] | None = None, **options: object
) -> AsyncIterator[AsyncIterator[str]]:
    """The lines of an SSE stream, past its snapshot."""
    async with server.client(authenticated=False, timeout=None, **options) as client:
        async with client.stream("GET", "/api/events/status", headers=headers) as response:
            assert response.status_code == 200
            lines = response.aiter_lines()
            async for line in lines:
                if line.startswith("data:"):
                    break
            yield lines


async def end_of_stream(lines: AsyncIterator[str], within_s: float) -> list[str]:
    """The comments the stream ended with, if it ends within ``within_s``."""
    comments = []
    async with asyncio.timeout(within_s):
        async for line in lines:
            if line.startswith(":") and "heartbeat" not in line:
                comments.append(line)
    return comments


async def sign_in(server: RunningPulse, username: str) -> dict[str, str]:
    """Headers of a browser signed in as ``username``: its cookie, and its own origin."""
    async with server.client(authenticated=False) as browser:
        login = await browser.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        cookie = browser.cookies[COOKIE_NAME]
    return {"Cookie": f"{COOKIE_NAME}={cookie}", "Origin": server.base_url}


async def test_revoking_a_key_closes_its_websocket_with_1008(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        stored, key = await issue_api_key(server.pulse.store, "wallboard", Role.VIEWER, None)
        other_stored, other_key = await issue_api_key(
            server.pulse.store, "other", Role.VIEWER, None
        )
        socket = await opened_socket(server.base_url, {"Authorization": f"Bearer {key}"})
        other = await opened_socket(server.base_url, {"Authorization": f"Bearer {other_key}"})
        async with server.client() as admin:
            revoked = await admin.delete(f"/api/apikeys/{stored.id}")
        code = await close_code(socket, PROMPTLY_S)
        other_code = await close_code(other, 0.3)  # times out: still open
        await other.close()
    assert revoked.status_code == 204
    assert code == 1008
    assert other_code is None and other_stored.id != stored.id


async def test_deactivating_a_user_ends_their_sse_stream_and_their_keys_streams(
    tmp_path: Path,
) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        olga = await add_user(server, "olga", Role.EDITOR, PASSWORD)
        _, olgas_key = await issue_api_key(server.pulse.store, "olga's", Role.VIEWER, olga.id)
        async with (
            event_stream(server, auth=("olga", PASSWORD)) as basic_stream,
            event_stream(server, {"Authorization": f"Bearer {olgas_key}"}) as key_stream,
        ):
            async with server.client() as admin:
                off = await admin.patch(f"/api/users/{olga.id}", json={"active": False})
            basic_goodbye = await end_of_stream(basic_stream, PROMPTLY_S)
            key_goodbye = await end_of_stream(key_stream, PROMPTLY_S)
    assert off.status_code == 200
    for goodbye in (basic_goodbye, key_goodbye):
        assert goodbye and "credentials ended" in goodbye[-1]


async def test_signing_out_ends_that_sessions_streams_only(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.VIEWER, PASSWORD)
        laptop = await sign_in(server, "olga")
        phone = await sign_in(server, "olga")
        laptop_socket = await opened_socket(server.base_url, laptop)
        phone_socket = await opened_socket(server.base_url, phone)
        async with event_stream(server, laptop) as laptop_events:
            async with server.client(authenticated=False) as browser:
                logout = await browser.post("/api/auth/logout", headers=laptop)
            socket_code = await close_code(laptop_socket, PROMPTLY_S)
            events_goodbye = await end_of_stream(laptop_events, PROMPTLY_S)
        phone_code = await close_code(phone_socket, 0.3)  # times out: still open
        await phone_socket.close()
    assert logout.status_code == 204
    assert socket_code == 1008
    assert events_goodbye and "credentials ended" in events_goodbye[-1]
    assert phone_code is None


async def test_a_session_that_expires_ends_its_streams_unless_the_browser_moved_it(
    tmp_path: Path,
) -> None:
    """A stream is one use of its session: at the session's expiry the stream ends (1008),
    unless the browser's other requests moved the expiry on, and then it lives to that."""
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.VIEWER, PASSWORD)
        expiring, renewed = await sign_in(server, "olga"), await sign_in(server, "olga")
        store = server.pulse.store
        sessions = {
            name: await store.session(session_id(headers["Cookie"].split("=", 1)[1]))
            for name, headers in (("expiring", expiring), ("renewed", renewed))
        }
        now = time.time()
        for session in sessions.values():
            assert session is not None
            await store.touch_session(session.id, now, now + 1.5)
        expiring_socket = await opened_socket(server.base_url, expiring)
        renewed_socket = await opened_socket(server.base_url, renewed)
        renewed_session = sessions["renewed"]
        assert renewed_session is not None
        await store.touch_session(renewed_session.id, now, now + 3600)  # the browser's use
        expired_code = await close_code(expiring_socket, 1.5 + PROMPTLY_S)
        renewed_code = await close_code(renewed_socket, 0.5)  # times out: still open
        await renewed_socket.close()
    assert expired_code == 1008
    assert renewed_code is None


async def test_a_new_password_ends_the_streams_opened_with_the_old_one(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        olga = await add_user(server, "olga", Role.VIEWER, PASSWORD)
        _, olgas_key = await issue_api_key(server.pulse.store, "olga's", Role.VIEWER, olga.id)
        encoded = base64.b64encode(f"olga:{PASSWORD}".encode()).decode()
        basic = {"Authorization": f"Basic {encoded}"}
        by_password = await opened_socket(server.base_url, basic)
        by_key = await opened_socket(server.base_url, {"Authorization": f"Bearer {olgas_key}"})
        async with server.client() as admin:
            changed = await admin.patch(
                f"/api/users/{olga.id}", json={"password": "new horse battery"}
            )
        password_code = await close_code(by_password, PROMPTLY_S)
        key_code = await close_code(by_key, 0.3)  # times out: a key has no password
        await by_key.close()
    assert changed.status_code == 200
    assert (password_code, key_code) == (1008, None)


# -- stopping ---------------------------------------------------------------------------------
def write_config(path: Path, port: int) -> None:
    path.write_text(CONFIG + textwrap.dedent(f"""\
        server: {{host: 127.0.0.1, port: {port}}}
        storage: {{url: "sqlite:///{path.parent / 'pulse.db'}"}}
    """))


async def viewer_key(path: Path) -> str:
    """A key made in the store before the server starts, as ``pulse apikey create`` does."""
    store = SqlStore(f"sqlite:///{path.parent / 'pulse.db'}")
    await store.open()
    try:
        _, key = await issue_api_key(store, "wallboard", Role.VIEWER, None)
    finally:
        await store.close()
    return key


async def wait_until_serving(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        async with asyncio.timeout(30):
            while True:
                try:
                    if (await client.get("/api/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)


async def test_sigterm_closes_websockets_with_going_away(tmp_path: Path) -> None:
    config, port = tmp_path / "pulse.yaml", free_tcp_port()
    write_config(config, port)
    key = await viewer_key(config)
    process = subprocess.Popen(
        [sys.executable, "-m", "pulse_core.cli", "run", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        await wait_until_serving(base_url)
        socket = await opened_socket(base_url, {"Authorization": f"Bearer {key}"})
        process.send_signal(signal.SIGTERM)
        code = await close_code(socket, 10)
        output, _ = await asyncio.to_thread(process.communicate, timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 1001, output.decode()
    assert process.returncode == 0, output.decode()
