"""First registration, cookie sessions, lockout and password changes, over real HTTP."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import httpx

from pulse_core.accounts import UserSession
from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.web.auth.sessions import COOKIE_NAME, cookie_is_secure, session_id

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""
PASSWORD = "correct horse"
REGISTRATION = {
    "username": "admin",
    "email": "admin@example.org",
    "password": PASSWORD,
    "confirmPassword": PASSWORD,
}


async def test_the_administrator_is_created_only_by_a_request_naming_an_address(
    tmp_path: Path,
) -> None:
    """A page of another site reaching Pulse by DNS rebinding names its own host; the first
    registration from it is refused, the same one by address or localhost goes through."""
    rebinding = {"Host": "rebind.attacker.example", "Origin": "http://rebind.attacker.example"}
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client(authenticated=False) as client:
            refused = await client.post("/api/auth/register", json=REGISTRATION, headers=rebinding)
            still_open = (await client.get("/api/auth/setup-required")).json()
            port = server.base_url.rsplit(":", 1)[1]
            by_localhost = await client.post(
                "/api/auth/register", json=REGISTRATION,
                headers={"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"},
            )
    assert refused.status_code == 403 and "DNS rebinding" in refused.json()["message"]
    assert still_open is True
    assert by_localhost.status_code == 201, by_localhost.text


async def test_the_first_user_registers_once_as_administrator(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client(authenticated=False) as client:
            before = (await client.get("/api/auth/setup-required")).json()
            registered = await client.post("/api/auth/register", json=REGISTRATION)
            signed_in = await client.get("/api/auth/session")
            after = (await client.get("/api/auth/setup-required")).json()
        async with server.client(authenticated=False) as stranger:
            second = await stranger.post(
                "/api/auth/register", json={**REGISTRATION, "username": "mallory"}
            )
    assert (before, after) == (True, False)
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert (body["username"], body["email"], body["role"]) == (
        "admin", "admin@example.org", "admin",
    )
    assert "password" not in str(body).lower()
    assert signed_in.json()["user"]["username"] == "admin"
    assert second.status_code == 409 and "setup is done" in second.json()["message"]


async def test_registration_names_what_to_fix(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client(authenticated=False) as client:
            mismatch = await client.post(
                "/api/auth/register", json={**REGISTRATION, "confirmPassword": "something else"}
            )
            short = await client.post(
                "/api/auth/register",
                json={**REGISTRATION, "password": "short", "confirmPassword": "short"},
            )
            bad_name = await client.post(
                "/api/auth/register", json={**REGISTRATION, "username": "has space"}
            )
            still_open = (await client.get("/api/auth/setup-required")).json()
    assert [r.status_code for r in (mismatch, short, bad_name)] == [400, 400, 400]
    assert "confirmPassword" in mismatch.json()["message"]
    assert "at least 8 characters" in short.json()["message"]
    assert "letters, digits" in bad_name.json()["message"]
    assert still_open is True


async def test_login_sets_a_safe_cookie_and_logout_ends_it(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.VIEWER, PASSWORD)
        async with server.client(authenticated=False) as client:
            login = await client.post(
                "/api/auth/login", json={"username": "olga", "password": PASSWORD}
            )
            session = await client.get("/api/auth/session")
            logout = await client.post("/api/auth/logout")
            after = await client.get("/api/auth/session")
    assert login.status_code == 200, login.text
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith("pulse_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert (session.json()["kind"], session.json()["name"]) == ("user", "olga")
    assert logout.status_code == 204
    assert after.status_code == 401


async def test_a_session_survives_a_restart(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.VIEWER, PASSWORD)
        async with server.client(authenticated=False) as client:
            await client.post("/api/auth/login", json={"username": "olga", "password": PASSWORD})
            cookies = client.cookies
    async with running_pulse(CONFIG, tmp_path) as restarted:
        async with httpx.AsyncClient(base_url=restarted.base_url, cookies=cookies) as client:
            response = await client.get("/api/auth/session")
    assert response.status_code == 200 and response.json()["name"] == "olga"


async def test_five_wrong_passwords_lock_the_username_whoever_asks(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.VIEWER, PASSWORD)
        async with server.client(authenticated=False) as client:
            wrong = [
                (await client.post(
                    "/api/auth/login", json={"username": "olga", "password": f"guess {n}"}
                )).status_code
                for n in range(5)
            ]
            right_but_locked = await client.post(
                "/api/auth/login", json={"username": "olga", "password": PASSWORD}
            )
            basic_locked = await client.get("/api/auth/session", auth=("olga", PASSWORD))
            unknown = [
                (await client.post(
                    "/api/auth/login", json={"username": "ghost", "password": f"guess {n}"}
                )).status_code
                for n in range(6)
            ]
            other_user = await client.post(
                "/api/auth/login", json={"username": "admin", "password": "x" * 8}
            )
    assert wrong == [401] * 5
    assert right_but_locked.status_code == 429
    assert 29 * 60 < int(right_but_locked.headers["Retry-After"]) <= 30 * 60
    assert "locked for 30 more minute(s)" in right_but_locked.json()["message"]
    assert basic_locked.status_code == 429
    assert unknown == [401] * 5 + [429]  # an unknown username looks just like a known one
    assert other_user.status_code == 401


async def test_a_new_password_ends_the_other_sessions(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.EDITOR, PASSWORD)
        credentials = {"username": "olga", "password": PASSWORD}
        async with (
            server.client(authenticated=False) as laptop,
            server.client(authenticated=False) as phone,
        ):
            await laptop.post("/api/auth/login", json=credentials)
            await phone.post("/api/auth/login", json=credentials)
            wrong_current = await laptop.post(
                "/api/auth/change-password",
                json={"currentPassword": "not it at all", "newPassword": "new horse battery"},
            )
            changed = await laptop.post(
                "/api/auth/change-password",
                json={"currentPassword": PASSWORD, "newPassword": "new horse battery"},
            )
            laptop_after = await laptop.get("/api/auth/session")
            phone_after = await phone.get("/api/auth/session")
            old_password = await phone.post("/api/auth/login", json=credentials)
            new_password = await phone.post(
                "/api/auth/login", json={**credentials, "password": "new horse battery"}
            )
        async with server.client() as by_key:
            key_has_no_password = await by_key.post(
                "/api/auth/change-password",
                json={"currentPassword": PASSWORD, "newPassword": "new horse battery"},
            )
    assert wrong_current.status_code == 400
    assert changed.status_code == 204
    assert laptop_after.status_code == 200
    assert phone_after.status_code == 401 and "sign in again" in phone_after.json()["message"]
    assert (old_password.status_code, new_password.status_code) == (401, 200)
    assert key_has_no_password.status_code == 403


async def signed_in_cookie(server: RunningPulse, username: str) -> str:
    """The session cookie's value after ``username`` signs in, as a browser would keep it."""
    async with server.client(authenticated=False) as browser:
        login = await browser.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        return browser.cookies[COOKIE_NAME]


async def session_status(server: RunningPulse, cookie: str) -> int:
    async with server.client(authenticated=False, cookies={COOKIE_NAME: cookie}) as browser:
        return (await browser.get("/api/auth/session")).status_code


async def test_a_cookie_saved_before_logout_is_refused_after_it(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.VIEWER, PASSWORD)
        saved = await signed_in_cookie(server, "olga")
        other_browser = await signed_in_cookie(server, "olga")
        before = await session_status(server, saved)
        async with server.client(authenticated=False, cookies={COOKIE_NAME: saved}) as browser:
            logout = await browser.post("/api/auth/logout")
        after = await session_status(server, saved)
        other_after = await session_status(server, other_browser)
        kept = await server.pulse.store.session(session_id(saved))
    assert (before, logout.status_code, after) == (200, 204, 401)
    assert other_after == 200  # signing out ends this browser's session only
    assert kept is None
    assert "Max-Age=0" in logout.headers["Set-Cookie"]  # the browser forgets it too


async def test_deactivation_ends_every_session_of_the_user(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        olga = await add_user(server, "olga", Role.EDITOR, PASSWORD)
        await add_user(server, "petra", Role.VIEWER, PASSWORD)
        laptop, phone = [await signed_in_cookie(server, "olga") for _ in range(2)]
        colleague = await signed_in_cookie(server, "petra")
        async with server.client() as admin:
            off = await admin.patch(f"/api/users/{olga.id}", json={"active": False})
            on = await admin.patch(f"/api/users/{olga.id}", json={"active": True})
        after = [await session_status(server, cookie) for cookie in (laptop, phone, colleague)]
    assert (off.status_code, on.status_code) == (200, 200)
    assert after == [401, 401, 200]  # reactivating does not bring the sessions back


async def test_a_new_password_ends_the_sessions_and_this_browser_gets_a_new_one(
    tmp_path: Path,
) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.EDITOR, PASSWORD)
        other = await signed_in_cookie(server, "olga")
        async with server.client(authenticated=False) as browser:
            await browser.post("/api/auth/login", json={"username": "olga", "password": PASSWORD})
            before_change = browser.cookies[COOKIE_NAME]
            changed = await browser.post(
                "/api/auth/change-password",
                json={"currentPassword": PASSWORD, "newPassword": "new horse battery"},
            )
            still_signed_in = await browser.get("/api/auth/session")
        statuses = [await session_status(server, cookie) for cookie in (other, before_change)]
    assert changed.status_code == 204
    assert still_signed_in.status_code == 200
    assert statuses == [401, 401]  # the browser's own old cookie too: it got a new one


async def signed_in_viewer(server: RunningPulse) -> tuple[str, UserSession]:
    """A new viewer's cookie after signing in, and the session the store keeps for it."""
    await add_user(server, "olga", Role.VIEWER, PASSWORD)
    cookie = await signed_in_cookie(server, "olga")
    stored = await server.pulse.store.session(session_id(cookie))
    assert stored is not None
    return cookie, stored


async def test_an_expired_session_is_refused_and_pruned_at_the_next_sign_in(
    tmp_path: Path,
) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        cookie, stored = await signed_in_viewer(server)
        store = server.pulse.store
        await store.touch_session(stored.id, stored.last_seen_ts, time.time() - 1)
        expired = await session_status(server, cookie)
        kept_until_pruned = await store.session(stored.id)
        await signed_in_cookie(server, "olga")
        pruned = await store.session(stored.id)
    assert expired == 401
    assert kept_until_pruned is not None and pruned is None


async def test_a_used_session_moves_its_expiry_but_not_past_the_longest_lifetime(
    tmp_path: Path,
) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        cookie, first = await signed_in_viewer(server)
        store = server.pulse.store
        # as if signed in 29 days ago and last seen yesterday
        created = time.time() - 29 * 86400
        await store.end_session(first.id)
        await store.add_session(dataclasses.replace(
            first, created_ts=created, last_seen_ts=created + 28 * 86400,
            expires_ts=created + 35 * 86400,
        ))
        status = await session_status(server, cookie)
        touched = await store.session(first.id)
    assert status == 200
    assert touched is not None and touched.last_seen_ts > created + 28 * 86400
    assert touched.expires_ts == touched.created_ts + 30 * 86400  # not 7 more days


def secure_config(setting: str) -> str:
    return CONFIG + f"server: {{host: 127.0.0.1, port: {free_tcp_port()}, " \
        f"secure_cookies: {setting}}}\n"


async def test_the_secure_flag_follows_server_secure_cookies(tmp_path: Path) -> None:
    flags = {}
    for setting in ("auto", "true", "false"):
        (tmp_path / setting).mkdir()
        async with running_pulse(secure_config(setting), tmp_path / setting) as server:
            await add_user(server, "olga", Role.VIEWER, PASSWORD)
            async with server.client(authenticated=False) as browser:
                login = await browser.post(
                    "/api/auth/login", json={"username": "olga", "password": PASSWORD}
                )
            flags[setting] = "; secure" in login.headers["Set-Cookie"].lower()
    assert flags == {"auto": False, "true": True, "false": False}  # auto: this is plain http


def test_auto_marks_the_cookie_secure_for_requests_over_tls() -> None:
    assert cookie_is_secure("auto", "https") is True
    assert cookie_is_secure("auto", "http") is False
