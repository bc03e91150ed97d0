"""The guard in front of every route: credentials by each way they come, 401 vs 403, limits."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from quart import Quart
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from werkzeug.routing import Rule

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user, key_headers
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.web.access import needed_role
from pulse_core.web.server import create_web_app

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""
PASSWORD = "correct horse"

#: Every built-in /api route anyone may call. A new public route must be added on purpose.
PUBLIC_ROUTES = {
    ("GET", "/api/health"),
    ("GET", "/api/auth/setup-required"),
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
}
#: Public routes of plugins that may be installed beside: Prometheus scrapes without login.
PUBLIC_PLUGIN_ROUTES = {("GET", "/api/metrics")}


def api_routes(app: Quart) -> list[tuple[str, Rule]]:
    return [
        (method, rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


def sample_path(rule: Rule) -> str:
    """The rule's path with 1 for each of its parameters."""
    built = rule.build({argument: 1 for argument in rule.arguments})
    assert built is not None
    return built[1]


async def answer_status(server: RunningPulse, method: str, path: str, websocket: bool) -> int:
    if websocket:
        url = server.base_url.replace("http://", "ws://") + path
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url):
                pass
        return refused.value.response.status_code
    async with server.client(authenticated=False) as client:
        return (await client.request(method, path)).status_code


async def test_every_api_route_but_the_public_ones_refuses_anonymous_callers(
    tmp_path: Path,
) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        app = create_web_app(server.pulse)
        routes = api_routes(app)
        public = {
            (method, rule.rule)
            for method, rule in routes
            if needed_role(app.view_functions[rule.endpoint], rule.rule) is None
        }
        refused = {
            (method, rule.rule): await answer_status(
                server, method, sample_path(rule), rule.websocket
            )
            for method, rule in routes
            if (method, rule.rule) not in public
        }
    assert PUBLIC_ROUTES <= public <= PUBLIC_ROUTES | PUBLIC_PLUGIN_ROUTES
    assert len(refused) >= 8  # the account routes at least
    assert {route: status for route, status in refused.items() if status != 401} == {}


async def test_a_viewer_may_not_call_what_needs_more(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        app = create_web_app(server.pulse)
        viewer = await key_headers(server, Role.VIEWER)
        guarded = [
            (method, sample_path(rule))
            for method, rule in api_routes(app)
            if not rule.websocket
            and (needed := needed_role(app.view_functions[rule.endpoint], rule.rule)) is not None
            and not Role.VIEWER.allows(needed)
        ]
        async with httpx.AsyncClient(base_url=server.base_url, headers=viewer) as client:
            statuses = {
                (method, path): (await client.request(method, path, json={})).status_code
                for method, path in guarded
            }
    assert ("POST", "/api/users") in statuses
    assert {route: status for route, status in statuses.items() if status != 403} == {}


async def test_anonymous_call_is_401_with_a_challenge(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client(authenticated=False) as client:
            response = await client.get("/api/auth/session")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="pulse", Bearer'
    assert "sign in" in response.json()["message"]


async def test_bearer_key_and_basic_password_are_accepted(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.EDITOR, PASSWORD)
        async with server.client() as client:
            by_key = await client.get("/api/auth/session")
        async with server.client(authenticated=False, auth=("olga", PASSWORD)) as client:
            by_password = await client.get("/api/auth/session")
            again = await client.get("/api/auth/session")
    assert by_key.status_code == 200, by_key.text
    assert (by_key.json()["kind"], by_key.json()["role"]) == ("apikey", "admin")
    assert by_password.status_code == 200, by_password.text
    assert (by_password.json()["name"], by_password.json()["role"]) == ("olga", "editor")
    assert again.json() == by_password.json()


async def test_wrong_credentials_are_401(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        await add_user(server, "olga", Role.EDITOR, PASSWORD)
        async with server.client(authenticated=False) as client:
            wrong_password = await client.get("/api/auth/session", auth=("olga", "battery 1"))
            unknown_user = await client.get("/api/auth/session", auth=("nobody", "battery 1"))
            made_up_key = await client.get(
                "/api/auth/session", headers={"Authorization": "Bearer pulse_0123456789ab_nope"}
            )
            other_scheme = await client.get(
                "/api/auth/session", headers={"Authorization": "Digest username=olga"}
            )
    responses = (wrong_password, unknown_user, made_up_key, other_scheme)
    assert [response.status_code for response in responses] == [401, 401, 401, 401]
    assert wrong_password.json() == unknown_user.json() == {"message": "wrong username or password"}
    assert "revoked or mistyped" in made_up_key.json()["message"]
    assert "Bearer" in other_scheme.json()["message"]


async def test_a_token_in_the_url_counts_only_on_the_push_routes(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        key = (await key_headers(server, Role.VIEWER))["Authorization"].removeprefix("Bearer ")
        async with server.client(authenticated=False) as client:
            response = await client.get("/api/auth/session", params={"token": key})
    assert response.status_code == 401


async def test_a_key_of_a_deactivated_owner_is_refused(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        owner = await add_user(server, "olga", Role.ADMIN, PASSWORD)
        headers = await key_headers(server, Role.EDITOR, owner)
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as client:
            before = await client.get("/api/auth/session")
            await server.pulse.store.update_user(owner.id, active=False, end_sessions=True)
            after = await client.get("/api/auth/session")
    assert (before.status_code, after.status_code) == (200, 401)


async def test_a_key_follows_its_demoted_owner(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        owner = await add_user(server, "olga", Role.ADMIN, PASSWORD)
        headers = await key_headers(server, Role.EDITOR, owner)
        await server.pulse.store.update_user(owner.id, role=Role.VIEWER.value)
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as client:
            response = await client.get("/api/auth/session")
    assert response.json()["role"] == "viewer"


async def test_too_many_requests_are_429_with_retry_after_per_caller(tmp_path: Path) -> None:
    limited = CONFIG + (
        f"server: {{host: 127.0.0.1, port: {free_tcp_port()}, "
        "rate_limit_per_minute: 6, rate_limit_burst: 3}\n"
    )
    async with running_pulse(limited, tmp_path) as server:
        other = await key_headers(server, Role.VIEWER)
        async with server.client() as client:
            statuses = [(await client.get("/api/auth/session")).status_code for _ in range(4)]
            refused = await client.get("/api/auth/session")
            health = [(await client.get("/api/health")).status_code for _ in range(5)]
            other_caller = await client.get("/api/auth/session", headers=other)
        async with server.client(authenticated=False) as anonymous:
            by_address = [(await anonymous.get("/api/auth/session")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 10
    assert "Retry-After" in refused.json()["message"]
    assert health == [200] * 5
    assert other_caller.status_code == 200
    assert by_address == [401, 401, 401, 429]


async def test_health_needs_no_credentials(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            response = await client.get("/api/health")
    assert response.status_code == 200
