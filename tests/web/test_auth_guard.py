"""The guard in front of every route: credentials by each way they come, 401 vs 403."""

from __future__ import annotations

import time
from pathlib import Path


from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.web.access import Role
from pulse_core.web.auth.passwords import hash_password_now
from pulse_core.web.auth.provisioning import issue_api_key

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""


async def add_user(server: RunningPulse, username: str, password: str, role: Role) -> int:
    user = await server.pulse.store.add_user(
        username, None, role.value, hash_password_now(password), time.time()
    )
    return user.id


async def test_anonymous_call_is_401_with_a_challenge(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client(authenticated=False) as client:
            response = await client.get("/api/auth/session")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="pulse", Bearer'
    assert "sign in" in response.json()["message"]


async def test_bearer_key_and_basic_password_are_accepted(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", "correct horse", Role.EDITOR)
        async with server.client() as client:
            by_key = await client.get("/api/auth/session")
        async with server.client(authenticated=False, auth=("olga", "correct horse")) as client:
            by_password = await client.get("/api/auth/session")
            again = await client.get("/api/auth/session")
    assert by_key.status_code == 200, by_key.text
    assert by_key.json()["kind"] == "apikey"
    assert by_password.status_code == 200, by_password.text
    assert (by_password.json()["name"], by_password.json()["role"]) == ("olga", "editor")
    assert again.status_code == 200


async def test_wrong_credentials_are_401(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", "correct horse", Role.EDITOR)
        async with server.client(authenticated=False) as client:
            wrong_password = await client.get(
                "/api/auth/session", auth=("olga", "battery staple")
            )
            unknown_user = await client.get("/api/auth/session", auth=("nobody", "whatever1"))
            made_up_key = await client.get(
                "/api/auth/session", headers={"Authorization": "Bearer pulse_0123456789ab_nope"}
            )
            other_scheme = await client.get(
                "/api/auth/session", headers={"Authorization": "Digest username=olga"}
            )
    assert [r.status_code for r in (wrong_password, unknown_user, made_up_key, other_scheme)] == [
        401, 401, 401, 401,
    ]
    assert wrong_password.json() == unknown_user.json() == {"message": "wrong username or password"}
    assert "revoked or mistyped" in made_up_key.json()["message"]
    assert "Bearer" in other_scheme.json()["message"]


async def test_a_token_in_the_url_counts_only_on_the_push_routes(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        _, key = await issue_api_key(server.pulse.store, "dashboard", Role.VIEWER, None)
        async with server.client(authenticated=False) as client:
            response = await client.get("/api/auth/session", params={"token": key})
    assert response.status_code == 401


async def test_a_key_of_a_deactivated_owner_is_refused(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        owner = await add_user(server, "olga", "correct horse", Role.ADMIN)
        _, key = await issue_api_key(server.pulse.store, "ci", Role.EDITOR, owner)
        headers = {"Authorization": f"Bearer {key}"}
        async with server.client(authenticated=False) as client:
            before = await client.get("/api/auth/session", headers=headers)
            await server.pulse.store.update_user(owner, active=False, end_sessions=True)
            after = await client.get("/api/auth/session", headers=headers)
    assert (before.status_code, after.status_code) == (200, 401)


async def test_a_key_follows_its_demoted_owner(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        owner = await add_user(server, "olga", "correct horse", Role.ADMIN)
        _, key = await issue_api_key(server.pulse.store, "ci", Role.EDITOR, owner)
        await server.pulse.store.update_user(owner, role=Role.VIEWER.value)
        async with server.client(authenticated=False) as client:
            response = await client.get(
                "/api/auth/session", headers={"Authorization": f"Bearer {key}"}
            )
    assert response.json()["role"] == "viewer"


async def test_health_needs_no_credentials(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client(authenticated=False) as client:
            response = await client.get("/api/health")
    assert response.status_code == 200


