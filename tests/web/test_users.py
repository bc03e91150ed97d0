"""User management by administrators, and the last administrator's protection."""

from __future__ import annotations

from pathlib import Path

import httpx

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user
from pulse_core.testing.server import running_pulse

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""
PASSWORD = "correct horse"


async def test_an_administrator_creates_and_lists_users(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client() as admin:
            created = await admin.post(
                "/api/users",
                json={"username": "olga", "email": "olga@example.org", "password": PASSWORD,
                      "role": "editor"},
            )
            duplicate = await admin.post(
                "/api/users", json={"username": "olga", "password": PASSWORD}
            )
            weak = await admin.post("/api/users", json={"username": "ivan", "password": "1234"})
            listed = await admin.get("/api/users")
        async with server.client(authenticated=False, auth=("olga", PASSWORD)) as olga:
            olga_session = await olga.get("/api/auth/session")
            olga_lists = await olga.get("/api/users")
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in ("username", "email", "role", "active")} == {
        "username": "olga", "email": "olga@example.org", "role": "editor", "active": True,
    }
    assert duplicate.status_code == 409 and "choose another" in duplicate.json()["message"]
    assert weak.status_code == 400
    assert [user["username"] for user in listed.json()["items"]] == ["olga"]
    assert olga_session.json()["role"] == "editor"
    assert olga_lists.status_code == 403 and "admin" in olga_lists.json()["message"]


async def test_role_changes_and_deactivation_apply_at_once(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        olga = await add_user(server, "olga", Role.VIEWER, PASSWORD)
        async with server.client(authenticated=False) as browser:
            await browser.post("/api/auth/login", json={"username": "olga", "password": PASSWORD})
            async with server.client() as admin:
                promoted = await admin.patch(f"/api/users/{olga.id}", json={"role": "editor"})
                as_editor = await browser.get("/api/auth/session")
                deactivated = await admin.patch(f"/api/users/{olga.id}", json={"active": False})
                after = await browser.get("/api/auth/session")
                login = await browser.post(
                    "/api/auth/login", json={"username": "olga", "password": PASSWORD}
                )
                missing = await admin.patch("/api/users/999", json={"role": "viewer"})
    assert promoted.json()["role"] == "editor"
    assert as_editor.json()["role"] == "editor"
    assert deactivated.json()["active"] is False
    assert after.status_code == 401
    assert login.status_code == 401
    assert missing.status_code == 404


async def test_the_last_active_administrator_stays(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        first = await add_user(server, "root", Role.ADMIN, PASSWORD)
        second = await add_user(server, "deputy", Role.ADMIN, PASSWORD)
        async with server.client() as admin:
            demote_deputy = await admin.patch(f"/api/users/{second.id}", json={"role": "viewer"})
            demote_last = await admin.patch(f"/api/users/{first.id}", json={"role": "editor"})
            deactivate_last = await admin.patch(f"/api/users/{first.id}", json={"active": False})
            rename_last = await admin.patch(f"/api/users/{first.id}", json={"role": "admin"})
    assert demote_deputy.status_code == 200
    assert demote_last.status_code == 409 and deactivate_last.status_code == 409
    assert "last active administrator" in demote_last.json()["message"]
    assert "make another user an administrator first" in deactivate_last.json()["message"]
    assert rename_last.status_code == 200


async def test_a_new_password_from_an_administrator_lifts_a_lockout(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        olga = await add_user(server, "olga", Role.VIEWER, PASSWORD)
        async with server.client(authenticated=False) as browser:
            for attempt in range(5):
                await browser.post(
                    "/api/auth/login", json={"username": "olga", "password": f"guess {attempt}"}
                )
            locked = await browser.post(
                "/api/auth/login", json={"username": "olga", "password": PASSWORD}
            )
            async with server.client() as admin:
                await admin.patch(f"/api/users/{olga.id}", json={"password": "fresh password"})
            unlocked = await browser.post(
                "/api/auth/login", json={"username": "olga", "password": "fresh password"}
            )
    assert (locked.status_code, unlocked.status_code) == (429, 200)


async def test_basic_auth_as_the_python_client_sends_it(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "admin", Role.ADMIN, "password")
        async with httpx.AsyncClient(
            base_url=server.base_url, auth=httpx.BasicAuth("admin", "password")
        ) as sdk:
            users = await sdk.get("/api/users")
    assert users.status_code == 200 and users.json()["items"][0]["username"] == "admin"


async def test_active_takes_a_boolean_only(tmp_path: Path) -> None:
    """``0`` or ``"no"`` is no boolean: read leniently, a typo would deactivate a user."""
    async with running_pulse(CONFIG, tmp_path) as server:
        user = await add_user(server, "olga", Role.EDITOR, PASSWORD)
        async with server.client() as admin:
            replies = [
                await admin.patch(f"/api/users/{user.id}", json={"active": value})
                for value in (0, "no", "false")
            ]
            after = await admin.get("/api/users")
    assert [reply.status_code for reply in replies] == [400, 400, 400]
    assert "active" in replies[0].json()["message"]
    assert after.json()["items"][0]["active"] is True
