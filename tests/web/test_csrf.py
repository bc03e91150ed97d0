"""Writes with the session cookie must come from Pulse's own pages, in a content type their
route reads, and so must those with HTTP Basic credentials, which a browser adds by itself;
API keys are not held to it. Over real HTTP, as a browser on another port of the same host
would send them."""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.web.server import create_web_app

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant, name: PLC}]
"""
PASSWORD = "correct horse"
ADMIN = {"username": "admin", "email": "admin@example.org", "password": PASSWORD}
FOREIGN = "http://127.0.0.1:9"  # another port of the same host: the same site, another origin
FORGED_CONFIG = CONFIG.replace("name: PLC", "name: forged")


def own_origin(server: RunningPulse) -> str:
    return server.base_url


@contextlib.asynccontextmanager
async def signed_in(server: RunningPulse) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding the first administrator's session cookie, and nothing else."""
    async with server.client(authenticated=False) as client:
        registered = await client.post(
            "/api/auth/register", json={**ADMIN, "confirmPassword": PASSWORD},
            headers={"Origin": own_origin(server)},
        )
        assert registered.status_code == 201, registered.text
        yield client


def endpoint_names(server: RunningPulse) -> set[str]:
    return {endpoint.name for endpoint in server.pulse.config.endpoints}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(CONFIG, tmp_path) as running:
        yield running


async def test_a_cross_origin_form_cannot_apply_a_configuration(server: RunningPulse) -> None:
    async with signed_in(server) as browser:
        forged = await browser.post(
            "/api/configuration/apply", content=FORGED_CONFIG,
            headers={"Origin": FOREIGN, "Content-Type": "text/plain"},
        )
        by_referer = await browser.post(
            "/api/configuration/apply", content=FORGED_CONFIG,
            headers={"Referer": f"{FOREIGN}/attack.html", "Content-Type": "application/yaml"},
        )
        sandboxed = await browser.post(
            "/api/configuration/apply", content=FORGED_CONFIG,
            headers={"Origin": "null", "Content-Type": "application/yaml"},
        )
    assert forged.status_code == 403, forged.text
    assert "cross-site request refused" in forged.json()["message"]
    assert FOREIGN in forged.json()["message"]
    assert (by_referer.status_code, sandboxed.status_code) == (403, 403)
    assert endpoint_names(server) == {"PLC"}
    assert len(await server.pulse.store.config_versions()) == 1


async def test_the_cookie_applies_yaml_only_in_a_yaml_type(server: RunningPulse) -> None:
    same_origin = {"Origin": own_origin(server)}
    async with signed_in(server) as browser:
        as_text = await browser.post(
            "/api/configuration/apply", content=FORGED_CONFIG,
            headers={**same_origin, "Content-Type": "text/plain"},
        )
        as_form = await browser.post(
            "/api/configuration/apply", content=FORGED_CONFIG,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        untyped = await browser.post("/api/configuration/apply", content=FORGED_CONFIG)
        unchanged = endpoint_names(server)
        as_yaml = await browser.post(
            "/api/configuration/apply", content=FORGED_CONFIG,
            headers={**same_origin, "Content-Type": "application/yaml"},
        )
    for refused in (as_text, as_form, untyped):
        assert refused.status_code == 415, refused.text
        assert "application/yaml" in refused.json()["message"]
    assert unchanged == {"PLC"}
    assert as_yaml.status_code == 200, as_yaml.text
    assert endpoint_names(server) == {"forged"}


async def test_json_routes_take_only_json_from_the_cookie(server: RunningPulse) -> None:
    async with signed_in(server) as browser:
        as_text = await browser.post(
            "/api/apikeys", content='{"name": "x"}', headers={"Content-Type": "text/plain"}
        )
        as_json = await browser.post("/api/apikeys", json={"name": "x"})
        bodiless = await browser.post("/api/auth/logout", headers={"Origin": own_origin(server)})
    assert as_text.status_code == 415 and "application/json" in as_text.json()["message"]
    assert as_json.status_code == 201
    assert bodiless.status_code == 204


async def test_api_keys_are_not_held_to_the_origin(server: RunningPulse) -> None:
    async with signed_in(server) as browser:
        key = (await browser.post("/api/apikeys", json={"name": "ci", "role": "admin"})).json()
    async with server.client(authenticated=False) as program:
        with_key = await program.post(
            "/api/configuration/apply", content=FORGED_CONFIG, params={"dryRun": "true"},
            headers={
                "Origin": FOREIGN,
                "Content-Type": "text/plain",
                "Authorization": f"Bearer {key['key']}",
            },
        )
    assert with_key.status_code == 200, with_key.text


async def test_http_basic_from_another_origin_is_held_like_the_cookie(
    server: RunningPulse,
) -> None:
    """A browser that once signed in with HTTP Basic adds those credentials by itself to a
    form another site posts to Pulse."""
    basic = (ADMIN["username"], PASSWORD)
    async with signed_in(server):
        pass
    async with server.client(authenticated=False) as browser:
        foreign = await browser.post(
            "/api/configuration/apply", content=FORGED_CONFIG, auth=basic,
            headers={"Origin": FOREIGN, "Content-Type": "text/plain"},
        )
        as_text = await browser.post(
            "/api/configuration/apply", content=FORGED_CONFIG, auth=basic,
            headers={"Origin": own_origin(server), "Content-Type": "text/plain"},
        )
        unchanged = endpoint_names(server)
        script = await browser.post(
            "/api/configuration/apply", content=FORGED_CONFIG, auth=basic,
            headers={"Content-Type": "application/yaml"},
        )
    assert foreign.status_code == 403, foreign.text
    assert "cross-site request refused" in foreign.json()["message"]
    assert as_text.status_code == 415, as_text.text
    assert unchanged == {"PLC"}
    assert script.status_code == 200, script.text
    assert endpoint_names(server) == {"forged"}


async def test_a_websocket_with_http_basic_must_come_from_pulse(server: RunningPulse) -> None:
    async with signed_in(server):
        pass
    url = server.base_url.replace("http://", "ws://") + "/api/ws/status"
    basic = {"Authorization": "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, additional_headers=basic, origin=FOREIGN):
            pass
    async with connect(url, additional_headers=basic) as socket:
        from_a_script = await socket.recv()
    assert refused.value.response.status_code == 403
    assert from_a_script


async def test_a_cross_origin_sign_in_is_refused(server: RunningPulse) -> None:
    credentials = {"username": ADMIN["username"], "password": PASSWORD}
    async with signed_in(server):
        pass
    async with server.client(authenticated=False) as browser:
        foreign = await browser.post(
            "/api/auth/login", json=credentials, headers={"Origin": FOREIGN}
        )
        cookie_after_foreign = browser.cookies.get("pulse_session")
        own = await browser.post(
            "/api/auth/login", json=credentials, headers={"Origin": own_origin(server)}
        )
    assert foreign.status_code == 403 and cookie_after_foreign is None
    assert own.status_code == 200


async def test_every_write_route_refuses_a_cross_origin_cookie(server: RunningPulse) -> None:
    """Each POST, PUT, PATCH and DELETE route of the API, whatever it does, answers 403 to
    the cookie from another origin before it runs."""
    rules = [
        rule for rule in create_web_app(server.pulse).url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.methods
        and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
    ]
    answers = {}
    async with signed_in(server) as browser:
        for rule in rules:
            path = re.sub(r"<int:[^>]+>", "1", rule.rule)
            path = re.sub(r"<[^>]+>", "x", path)
            for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
                response = await browser.request(
                    method, path, json={}, headers={"Origin": FOREIGN}
                )
                answers[f"{method} {path}"] = response.status_code
    assert "POST /api/configuration/apply" in answers and "DELETE /api/apikeys/1" in answers
    assert "POST /api/auth/logout" in answers and "PUT /api/endpoints/x" in answers
    assert set(answers.values()) == {403}, answers


async def test_a_websocket_with_the_cookie_must_come_from_pulse(server: RunningPulse) -> None:
    """Another origin's page may still open one with a key in ``?token=``."""
    async with signed_in(server) as browser:
        cookie = f"pulse_session={browser.cookies['pulse_session']}"
        key = (await browser.post("/api/apikeys", json={"name": "hmi"})).json()["key"]
    url = server.base_url.replace("http://", "ws://") + "/api/ws/status"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, additional_headers={"Cookie": cookie}, origin=FOREIGN):
            pass
    async with connect(
        url, additional_headers={"Cookie": cookie}, origin=own_origin(server)
    ) as socket:
        with_cookie = await socket.recv()
    async with connect(f"{url}?token={key}", origin=FOREIGN) as socket:
        with_key = await socket.recv()
    assert refused.value.response.status_code == 403
    assert with_cookie and with_key
