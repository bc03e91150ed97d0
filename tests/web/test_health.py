"""The web server itself: health, and JSON errors everywhere."""

from __future__ import annotations

from pathlib import Path

from pulse_core.testing.server import running_pulse

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""


async def test_health_answers_without_credentials(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client(authenticated=False) as client:
            reply = await client.get("/api/health")
    assert reply.status_code == 200
    body = reply.json()
    assert (body["status"], body["store"]) == ("ok", "ok")
    assert body["uptimeSeconds"] >= 0 and body["version"]


async def test_unknown_routes_answer_json(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client() as client:
            missing = await client.get("/api/nothing-here")
            wrong_method = await client.delete("/api/health")
    assert missing.status_code == 404 and "message" in missing.json()
    assert wrong_method.status_code == 405 and "message" in wrong_method.json()
