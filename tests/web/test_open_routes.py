"""The routes docs/api.md says anyone may call are the ones that answer without credentials,
and every other ``/api/*`` route asks for a caller: read from the docs, checked route by route
against a real Pulse with every first-party plugin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.web.server import create_web_app

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
CONFIG = """
version: 1
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""


def documented_open_routes() -> set[tuple[str, str]]:
    """``(METHOD, path)`` of every route named in the list after "answer anyone"."""
    text = API_DOC.read_text()
    listing = text.split("except these, which answer anyone:", 1)[1].split("\n\n", 2)[1]
    return set(re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`", listing))


def http_routes(server: RunningPulse) -> set[tuple[str, str]]:
    app = create_web_app(server.pulse)
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if not rule.websocket and (rule.rule.startswith("/api/") or rule.rule == "/openapi.json")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def concrete(path: str) -> str:
    """A path with its variables filled in: the guard answers before any lookup."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if "id" in m[1] else "x", path)


@pytest.fixture
async def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with running_pulse(CONFIG, tmp_path) as running:
        yield running


async def test_the_documented_open_routes_answer_anyone_and_no_other_does(
    server: RunningPulse,
) -> None:
    documented = documented_open_routes()
    routes = http_routes(server)
    assert ("GET", "/api/metrics") in documented and ("GET", "/api/health") in documented
    assert documented <= routes, f"documented but not served: {documented - routes}"
    wrong = []
    async with server.client(authenticated=False) as client:
        for method, path in sorted(routes):
            reply = await client.request(method, concrete(path))
            if ((method, path) in documented) == (reply.status_code == 401):
                wrong.append(f"{method} {path}: {reply.status_code}")
    assert wrong == []
