"""The dashboard in a real browser against a real Pulse monitoring real listeners."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect

from pulse_core.engine.state import EndpointState
from pulse_core.models import State
from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.receivers import SlackReceiver
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.waiting import eventually

from .conftest import ADMIN, DESKTOP, PHONE, register_and_sign_in, screenshot_page



def lab_config(listeners: list[TcpListener], closed_port: int) -> str:
    targets = "\n".join(
        f"  - {{type: tcp, name: press {index}, host: 127.0.0.1, port: {listener.port}, group: press-shop}}"
        for index, listener in enumerate(listeners, start=1)
    )
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500, retries: 0}}
groups:
  - {{id: plant, name: Plant, color: "#2f80ed"}}
  - {{id: press-shop, name: Press shop, parent_id: plant, color: "#27ae60"}}
  - {{id: paint-shop, name: Paint shop, parent_id: plant, color: "#eb5757"}}
targets:
{targets}
  - {{type: tcp, name: paint robot, host: 127.0.0.1, port: {closed_port}, group: paint-shop}}
"""


@pytest_asyncio.fixture
async def listeners() -> AsyncIterator[list[TcpListener]]:
    started = [TcpListener(), TcpListener()]
    for listener in started:
        await listener.start()
    yield started
    for listener in started:
        await listener.stop()


@pytest_asyncio.fixture
async def server(listeners: list[TcpListener], tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(lab_config(listeners, free_tcp_port()), tmp_path) as running:
        yield running


async def _settled_up(state: EndpointState) -> bool | None:
    return state.state is State.UP or None


async def count(page: Page, kind: str) -> str:
    return await page.locator(f"[data-count='{kind}']").inner_text()


async def test_first_run_then_sign_in(browser: Browser, server: RunningPulse) -> None:
    page = await browser.new_page(viewport=DESKTOP)
    await register_and_sign_in(page, server)
    await expect(page.locator("#who")).to_contain_text("admin (admin)")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("Username").fill(ADMIN["username"])
    await page.get_by_label("Password").fill("wrong password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).not_to_be_empty()
    await page.get_by_label("Password").fill(ADMIN["password"])
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()


async def test_overview_counts_and_a_live_change_without_reload(
    browser: Browser, server: RunningPulse, listeners: list[TcpListener], screenshots: Path
) -> None:
    page = await browser.new_page(viewport=DESKTOP)
    await register_and_sign_in(page, server)
    await expect(page.locator("[data-count='up']")).to_have_text("2", timeout=15_000)
    assert await count(page, "total") == "3"
    assert await count(page, "down") == "1"
    await page.screenshot(path=screenshots / "overview-desktop.png")

    await listeners[0].stop()
    await expect(page.locator("[data-count='down']")).to_have_text("2", timeout=15_000)
    row = page.locator("[data-endpoint-id]", has_text="press 1")
    await expect(row).to_have_attribute("data-status", "down")
    await expect(row).to_contain_text("Offline")

    await page.locator("select[name=group]").select_option(label="\u00a0\u00a0Paint shop")
    assert await count(page, "total") == "1"


async def test_configuration_editor_validates_and_applies(browser: Browser, server: RunningPulse) -> None:
    page = await browser.new_page(viewport=DESKTOP)
    await register_and_sign_in(page, server)
    await page.get_by_role("link", name="Configuration").click()
    editor = page.get_by_label("Configuration YAML")
    await expect(editor).to_have_value(re.compile("press-shop"))
    original = await editor.input_value()

    await editor.fill(original.replace("version: 1", "version: 1\nnonsense_key: 3"))
    await page.get_by_role("button", name="Validate").click()
    await expect(page.locator(".gutter .bad[data-line='2']")).to_be_visible()
    await expect(page.locator(".messages")).to_contain_text("nonsense_key")

    await editor.fill(original.replace("name: paint robot", "name: paint robot 2"))
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator(".messages")).to_contain_text("Applied (version")
    names = {state.endpoint.name for state in server.pulse.monitor.states.values()}
    assert "paint robot 2" in names


async def test_history_csv_download(browser: Browser, server: RunningPulse, screenshots: Path) -> None:
    page = await browser.new_page(viewport=DESKTOP, accept_downloads=True)
    await register_and_sign_in(page, server)

    async def every_endpoint_has_a_stored_check() -> bool | None:
        # Every endpoint's first check comes before any endpoint's second, so once as many
        # checks as endpoints are written, each has one (on a busy machine the page can get
        # here before the writer's first batch).
        return server.pulse.writer.written >= len(server.pulse.config.endpoints) or None

    await eventually(every_endpoint_has_a_stored_check)
    await page.get_by_role("link", name="History").click()
    await page.get_by_label("Buckets").select_option("raw")
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator("[data-summary='availability']")).not_to_have_text("–")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download CSV").click()
    download = await download_info.value
    text = Path(await download.path()).read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and set(rows[0]) >= {"status"}


async def test_the_documented_browser_snippets_receive_the_status_messages(
    browser: Browser, server: RunningPulse, listeners: list[TcpListener]
) -> None:
    # As a developer pastes the snippets of docs/integrations.md into the console, which the page's
    # Content-Security-Policy does not restrict.
    page = await browser.new_page(viewport=DESKTOP, bypass_csp=True)
    port = server.base_url.rsplit(":", 1)[1]
    # the page is on localhost, as in those snippets, so the session cookie goes with the WebSocket
    await register_and_sign_in(page, server, f"http://localhost:{port}")
    await page.evaluate(
        """(port) => {
            window.received = { ws: [], sse: [] };
            const ws = new WebSocket('ws://localhost:' + port + '/api/ws/status');
            ws.onmessage = (event) => { window.received.ws.push(JSON.parse(event.data)); };
            const eventSource = new EventSource('/api/events/status');
            eventSource.onmessage = (event) => { window.received.sse.push(JSON.parse(event.data)); };
        }""",
        port,
    )
    await page.wait_for_function("window.received.ws.length > 0 && window.received.sse.length > 0")
    # the page counts an endpoint online from its first good check; the damped state (what
    # previousStatus reports) needs the success threshold, so wait for that instead
    press_2 = next(s for s in server.pulse.monitor.states.values() if s.endpoint.name == "press 2")
    await eventually(lambda: _settled_up(press_2), timeout_s=15)
    await listeners[1].stop()
    update = (
        "m => m.type === 'status_update' && m.data.status === 'offline'"
        f" && m.data.endpointId === '{press_2.endpoint.id}'"
    )
    await page.wait_for_function(
        f"window.received.ws.some({update}) && window.received.sse.some({update})", timeout=15_000
    )
    message = await page.evaluate(f"window.received.ws.find({update})")
    assert set(message) == {"type", "timestamp", "data"}
    assert set(message["data"]) == {"endpointId", "status", "responseTime", "previousStatus"}
    assert message["data"]["previousStatus"] == "online"


@pytest.mark.parametrize("viewport_name", ["desktop", "phone"])
async def test_every_page_renders_at_desktop_and_phone_width(
    browser: Browser, server: RunningPulse, screenshots: Path, viewport_name: str
) -> None:
    viewport = DESKTOP if viewport_name == "desktop" else PHONE
    page = await browser.new_page(viewport=viewport)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(server.base_url + "/setup")
    await page.screenshot(path=screenshots / f"setup-{viewport_name}.png")
    await register_and_sign_in(page, server)
    await expect(page.locator("[data-count='up']")).to_have_text("2", timeout=15_000)
    await page.screenshot(path=screenshots / f"overview-{viewport_name}.png")
    endpoint_id = next(iter(server.pulse.monitor.states))
    pages = {
        "endpoint": f"/endpoints/{endpoint_id}",
        "history": "/history",
        "configuration": "/configuration",
        "integrations": "/integrations",
        "api-reference": "/api-reference",
    }
    for name, path in pages.items():
        file = screenshots / f"{name}-{viewport_name}.png"
        await screenshot_page(page, server.base_url + path, file, viewport)
    assert errors == []


async def test_the_api_reference_is_drawn_from_the_openapi_document(
    browser: Browser, server: RunningPulse
) -> None:
    page = await browser.new_page(viewport=DESKTOP)
    await register_and_sign_in(page, server)
    await page.get_by_role("link", name="API", exact=True).click()
    live = page.locator("[data-operation='GET /api/status/live']")
    await expect(live).to_be_visible()
    await live.locator("summary").click()
    await expect(live).to_contain_text("needs viewer")
    await expect(live.locator("td code", has_text="search")).to_be_visible()


async def test_two_thousand_endpoints_render_only_the_rows_in_view(
    browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    config = """
version: 1
defaults: {interval_seconds: 30, timeout_ms: 500}
groups: [{id: cell, name: Robot cells, color: "#2f80ed"}]
targets: [{type: icmp, name: robot, cidr: 127.2.0.0/21, group: cell}]
"""
    async with running_pulse(config, tmp_path) as server:
        page = await browser.new_page(viewport=DESKTOP, color_scheme="dark")
        await register_and_sign_in(page, server)
        await expect(page.locator("[data-count='total']")).to_have_text("2046")
        assert await page.locator(".vrow").count() < 60
        await page.locator(".vlist").evaluate("list => { list.scrollTop = list.scrollHeight; }")
        await expect(page.locator(".vrow", has_text="robot 127.2.7.254")).to_be_visible()
        assert await page.locator(".vrow").count() < 60
        await page.screenshot(path=screenshots / "overview-2000-dark.png")


async def test_integrations_show_health_and_send_a_test_message(
    browser: Browser, tmp_path: Path
) -> None:
    with SlackReceiver() as slack:
        config = f"""
version: 1
defaults: {{interval_seconds: 30}}
groups: [{{id: plant, name: Plant}}]
targets: [{{type: tcp, host: 127.0.0.1, port: {free_tcp_port()}, group: plant}}]
notifiers:
  - name: ops-slack
    slack: {{webhookUrl: "{slack.url}/services/T0/B0/secret"}}
outbound: {{allow_networks: ["127.0.0.0/8"], allow_plain_http: true}}
"""
        async with running_pulse(config, tmp_path) as server:
            page = await browser.new_page(viewport=DESKTOP)
            await register_and_sign_in(page, server)
            await page.get_by_role("link", name="Integrations").click()
            row = page.locator("tr", has_text="ops-slack")
            await expect(row).to_contain_text("slack")
            await row.get_by_role("button", name="Send test").click()
            await expect(row).to_contain_text("HTTP 200")
            assert len(slack.messages) == 1
