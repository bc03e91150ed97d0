"""Bodies nobody can read (nested too deep, not JSON, not UTF-8) are a 400 that says why,
on any route, signed in or not, and never a traceback in the log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pulse_core.testing.server import running_pulse
from pulse_core.web.errors import MAX_JSON_DEPTH

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""
JSON = {"Content-Type": "application/json"}


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


async def test_deep_or_broken_json_is_a_400_without_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client(authenticated=False) as anonymous, server.client() as admin:
            login_deep = await anonymous.post("/api/auth/login", content=nested(1000), headers=JSON)
            key_deep = await admin.post(
                "/api/apikeys", headers=JSON,
                content=b'{"name": "x", "role": ' + nested(MAX_JSON_DEPTH) + b"}",
            )
            broken = await anonymous.post("/api/auth/login", content=b'{"username": ', headers=JSON)
            not_utf8 = await anonymous.post(
                "/api/auth/login", content=b'{"a": "\xff"}', headers=JSON
            )
            just_deep_enough = await admin.post(
                "/api/apikeys", headers=JSON,
                content=b'{"name": "x", "role": ' + nested(MAX_JSON_DEPTH - 1) + b"}",
            )
    for deep in (login_deep, key_deep):
        assert deep.status_code == 400, deep.text
        assert deep.json()["message"] == (
            f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep"
        )
    assert broken.status_code == 400
    assert broken.json()["message"].startswith("the request body is not valid JSON: Expecting")
    assert (not_utf8.status_code, not_utf8.json()["message"]) == (
        400, "the request body is not valid UTF-8",
    )
    assert just_deep_enough.status_code == 400  # read, then refused by validation: not a role
    assert just_deep_enough.json()["message"].startswith("invalid request body")
    assert not [record for record in caplog.records if record.exc_info], caplog.text
