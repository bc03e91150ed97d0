"""Cross-site request forgery in a real browser: a page on another port of the same host
(the same site to the browser, so the ``SameSite=Lax`` session cookie goes along) submits a
``text/plain`` form that would replace the configuration, while the administrator is signed
in to the dashboard. Pulse must refuse it and keep its configuration."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from playwright.async_api import Browser

from pulse_core.testing.receivers import Receiver, Reply
from pulse_core.testing.server import RunningPulse, running_pulse

from .conftest import DESKTOP, register_and_sign_in

CONFIG = """version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant, name: PLC}]
"""
FORGED_CONFIG = CONFIG.replace("name: PLC", "name: forged")


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(CONFIG, tmp_path) as running:
        yield running


def attack_page(pulse_url: str) -> str:
    """A form that posts itself on load. A ``text/plain`` form sends ``name=value``: the
    name is the YAML, and ``#`` turns the ``=`` after it into a YAML comment."""
    name = html.escape(FORGED_CONFIG + "#", quote=True)
    return (
        "<!doctype html><title>Shift report</title>"
        f'<form method="post" enctype="text/plain" action="{pulse_url}/api/configuration/apply">'
        f'<input type="hidden" name="{name}" value=""></form>'
        "<script>document.forms[0].submit()</script>"
    )


async def test_a_same_site_page_cannot_replace_the_configuration(
    browser: Browser, server: RunningPulse, http_server: Receiver
) -> None:
    page = await browser.new_page(viewport=DESKTOP)
    await register_and_sign_in(page, server)
    http_server.script(
        Reply(200, attack_page(server.base_url).encode(), {"Content-Type": "text/html"})
    )
    async with page.expect_response(lambda answer: answer.request.method == "POST") as posted:
        await page.goto(f"{http_server.url}/shift-report")
    answer = await posted.value
    refusal = await answer.json()
    versions = await server.pulse.store.config_versions()
    assert answer.url == f"{server.base_url}/api/configuration/apply"
    # 403 and not 401: the browser did send the administrator's cookie along
    assert answer.status == 403, refusal
    assert "cross-site request refused" in refusal["message"]
    assert {endpoint.name for endpoint in server.pulse.config.endpoints} == {"PLC"}
    assert len(versions) == 1
