"""API keys: shown once, kept hashed, listed without secrets, revoked at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user, key_headers
from pulse_core.testing.server import running_pulse
from pulse_core.web.auth.keys import key_hash

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""
PASSWORD = "correct horse"


async def listed_keys(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    listed = await client.get("/api/apikeys")
    assert listed.status_code == 200, listed.text
    return list(listed.json()["items"])


async def test_a_key_is_shown_once_kept_hashed_and_revoked_at_once(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client() as admin:
            created = await admin.post("/api/apikeys", json={"name": "grafana", "role": "viewer"})
            key = created.json()["key"]
            listed = await admin.get("/api/apikeys")
            async with httpx.AsyncClient(
                base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}
            ) as grafana:
                before = await grafana.get("/api/auth/session")
                revoked = await admin.delete(f"/api/apikeys/{created.json()['id']}")
                after = await grafana.get("/api/auth/session")
            again = await admin.delete(f"/api/apikeys/{created.json()['id']}")
        stored = await server.pulse.store.api_keys()
    assert created.status_code == 201
    assert set(created.json()) >= {"id", "name", "role", "key"}
    assert (created.json()["name"], created.json()["role"]) == ("grafana", "viewer")
    grafana_listed = next(entry for entry in listed.json()["items"] if entry["name"] == "grafana")
    assert "key" not in grafana_listed and key not in listed.text
    assert set(grafana_listed) == {
        "id", "name", "role", "prefix", "userId", "createdTs", "lastUsedTs",
    }
    assert key.startswith(f"pulse_{grafana_listed['prefix']}_")
    assert all(key not in (entry.key_hash, entry.prefix) for entry in stored)
    assert (before.status_code, before.json()["name"]) == (200, "grafana")
    assert revoked.status_code == 204
    assert after.status_code == 401
    assert again.status_code == 404
    assert key_hash(key) not in {entry.key_hash for entry in stored}


async def test_last_use_is_recorded(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client() as admin:
            created = (await admin.post("/api/apikeys", json={"name": "ci"})).json()
            as_ci = {"Authorization": f"Bearer {created['key']}"}
            await admin.get("/api/auth/session", headers=as_ci)
            listed = {entry["id"]: entry for entry in await listed_keys(admin)}
    assert created["lastUsedTs"] is None and created["role"] == "viewer"
    assert listed[created["id"]]["lastUsedTs"].endswith("Z")


async def test_a_key_never_outranks_its_creator(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.EDITOR, PASSWORD)
        async with server.client(authenticated=False, auth=("olga", PASSWORD)) as olga:
            admin_key = await olga.post("/api/apikeys", json={"name": "x", "role": "admin"})
            editor_key = await olga.post("/api/apikeys", json={"name": "y", "role": "editor"})
        viewer = await key_headers(server, Role.VIEWER)
        async with httpx.AsyncClient(base_url=server.base_url, headers=viewer) as read_only:
            escalation = await read_only.post("/api/apikeys", json={"name": "z", "role": "editor"})
    assert admin_key.status_code == 403
    assert "higher role than its creator" in admin_key.json()["message"]
    assert editor_key.status_code == 201 and editor_key.json()["userId"] is not None
    assert escalation.status_code == 403


async def test_people_see_and_revoke_only_their_own_keys(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.EDITOR, PASSWORD)
        await add_user(server, "ivan", Role.EDITOR, PASSWORD)
        async with (
            server.client(authenticated=False, auth=("olga", PASSWORD)) as olga,
            server.client(authenticated=False, auth=("ivan", PASSWORD)) as ivan,
        ):
            olgas = (await olga.post("/api/apikeys", json={"name": "olga's"})).json()
            ivans = (await ivan.post("/api/apikeys", json={"name": "ivan's"})).json()
            olga_sees = [entry["name"] for entry in await listed_keys(olga)]
            olga_revokes_ivans = await olga.delete(f"/api/apikeys/{ivans['id']}")
            olga_revokes_hers = await olga.delete(f"/api/apikeys/{olgas['id']}")
        async with server.client() as admin:
            admin_sees = [entry["name"] for entry in await listed_keys(admin)]
    assert olga_sees == ["olga's"]
    assert (olga_revokes_ivans.status_code, olga_revokes_hers.status_code) == (404, 204)
    assert admin_sees == ["test kit", "ivan's"]


async def test_a_key_never_manages_keys_above_its_own_role(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        boss = await add_user(server, "boss", Role.ADMIN, PASSWORD)
        async with server.client(authenticated=False, auth=("boss", PASSWORD)) as as_boss:
            admin_key = await as_boss.post("/api/apikeys", json={"name": "ops", "role": "admin"})
            editor_key = await as_boss.post("/api/apikeys", json={"name": "ci", "role": "editor"})
        viewer = await key_headers(server, Role.VIEWER, owner=boss)
        async with httpx.AsyncClient(base_url=server.base_url, headers=viewer) as boss_viewer:
            listed = await boss_viewer.get("/api/apikeys")
            revoke_admin = await boss_viewer.delete(f"/api/apikeys/{admin_key.json()['id']}")
            revoke_editor = await boss_viewer.delete(f"/api/apikeys/{editor_key.json()['id']}")
            mint_editor = await boss_viewer.post(
                "/api/apikeys", json={"name": "x", "role": "editor"}
            )
        stored = {key.name for key in await server.pulse.store.api_keys()}
    assert (admin_key.status_code, editor_key.status_code) == (201, 201)
    assert [entry["role"] for entry in listed.json()["items"]] == ["viewer"]
    assert (revoke_admin.status_code, revoke_editor.status_code) == (404, 404)
    assert mint_editor.status_code == 403
    assert {"ops", "ci"} <= stored


async def test_a_demoted_user_still_revokes_their_own_old_keys(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        olga = await add_user(server, "olga", Role.ADMIN, PASSWORD)
        async with server.client(authenticated=False, auth=("olga", PASSWORD)) as as_olga:
            old_key = await as_olga.post("/api/apikeys", json={"name": "old", "role": "admin"})
            await server.pulse.store.update_user(olga.id, role=Role.VIEWER.value)
            listed = [entry["name"] for entry in await listed_keys(as_olga)]
            revoked = await as_olga.delete(f"/api/apikeys/{old_key.json()['id']}")
    assert listed == ["old"]
    assert revoked.status_code == 204


async def test_a_key_name_is_one_line_of_text(tmp_path: Path) -> None:
    """A key's name is written to the log and, as the actor of its applies, to the
    configuration history: a line break in it would forge lines there."""
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client() as admin:
            before = await listed_keys(admin)
            forged = await admin.post(
                "/api/apikeys", json={"name": "ci\nINFO forged line", "role": "viewer"}
            )
            escaped = await admin.post("/api/apikeys", json={"name": "ci\x1b[2J", "role": "viewer"})
            after = await listed_keys(admin)
    for refused in (forged, escaped):
        assert refused.status_code == 400, refused.text
        assert "control characters" in refused.text, refused.text
    assert after == before
