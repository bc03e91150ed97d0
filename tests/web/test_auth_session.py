"""First registration, cookie sessions, lockout and password changes, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx

from pulse_core.testing.accounts import add_user
from pulse_core.testing.server import running_pulse
from pulse_core.web.access import Role

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
