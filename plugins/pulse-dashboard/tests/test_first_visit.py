"""What a new user meets in the first hour, in a real browser against a real Pulse: group
order, charts, the endpoint's settings, the list's last row, the empty Integrations page,
configuration errors, the page without JavaScript, live rows of endpoints going offline,
search, and the set-up form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import AsyncIterator

import httpx
import pytest_asyncio
from playwright.async_api import Browser, Page, WebSocketRoute, expect

from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.waiting import eventually

from .conftest import ADMIN, DESKTOP, PHONE, endpoint_id, register_and_sign_in

#: the window of the report: 1280 x 900
TALL_DESKTOP = {"width": 1280, "height": 900}


def plant_config(listener: TcpListener, closed_port: int) -> str:
    """A child group whose name sorts before its parent's, and an http endpoint with every
    setting written out, none of them at its default."""
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500, retries: 0}}
groups:
  - {{id: plant, name: Plant, color: "#2f80ed"}}
  - {{id: assembly, name: Assembly, parent_id: plant, color: "#27ae60"}}
  - {{id: yard, name: Yard}}
targets:
  - {{type: tcp, name: press, host: 127.0.0.1, port: {listener.port}, group: plant}}
  - {{type: tcp, name: robot, host: 127.0.0.2, port: {closed_port}, group: assembly}}
  - {{type: http, name: gate, host: 127.0.0.1, port: {closed_port}, http_path: /health,
      http_match: ready, interval_seconds: 2, timeout_ms: 700, retries: 1,
      failure_threshold: 3, success_threshold: 1, expected_rtt_ms: 40,
      notes: "the gate controller by the loading bay", group: yard}}
"""


def icmp_config(endpoints: int) -> str:
    """Enough endpoints that the list scrolls (a /26 holds 62 hosts, a /23 510)."""
    prefix = {62: 26, 510: 23}[endpoints]
    return f"""
version: 1
defaults: {{interval_seconds: 30, timeout_ms: 500}}
groups: [{{id: cell, name: Robot cells}}]
targets: [{{type: icmp, name: robot, cidr: 127.3.0.0/{prefix}, group: cell}}]
"""


@pytest_asyncio.fixture
async def listener() -> AsyncIterator[TcpListener]:
    started = TcpListener()
    await started.start()
    yield started
    await started.stop()


@pytest_asyncio.fixture
async def plant(listener: TcpListener, tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(plant_config(listener, free_tcp_port()), tmp_path) as running:
        yield running


async def signed_in(browser: Browser, server: RunningPulse, viewport: dict[str, int] = DESKTOP) -> Page:
    page = await browser.new_page(viewport=viewport)
    await register_and_sign_in(page, server)
    return page


# 1. groups


async def test_parent_groups_come_before_their_children(browser: Browser, plant: RunningPulse) -> None:
    page = await signed_in(browser, plant)
    headings = page.locator(".vrow.group-header")
    await expect(headings).to_have_text([re.compile("^Plant"), re.compile("^Assembly"), re.compile("^Yard")])
    options = page.locator("select[name=group] option")
    await expect(options).to_have_text(["All groups", "Plant", "\u00a0\u00a0Assembly", "Yard"])

    await page.get_by_role("link", name="History").click()
    groups = page.locator("select[name=subject] optgroup[label=Groups] option")
    await expect(groups).to_have_text(["Plant", "\u00a0\u00a0Assembly", "Yard"])


# 2. charts


async def chart_label_size(page: Page) -> dict[str, float]:
    """How big a chart's labels are on screen: the text's height and the chart's scale."""
    return await page.locator("svg.chart").first.evaluate(
        """chart => ({
            label: chart.querySelector('text').getBoundingClientRect().height,
            scale: chart.getBoundingClientRect().width / chart.viewBox.baseVal.width,
        })"""
    )


async def test_charts_have_the_same_label_size_on_every_page(browser: Browser, plant: RunningPulse) -> None:
    page = await signed_in(browser, plant)

    async def checks_are_stored() -> bool | None:
        return plant.pulse.writer.written >= len(plant.pulse.config.endpoints) or None

    await eventually(checks_are_stored)
    for viewport in (DESKTOP, PHONE):
        await page.set_viewport_size(viewport)
        await page.goto(f"{plant.base_url}/endpoints/{endpoint_id(plant, 'press')}")
        await expect(page.locator("svg.chart").first).to_be_visible()
        on_endpoint = await chart_label_size(page)
        await page.goto(f"{plant.base_url}/history?subject=endpoint:{endpoint_id(plant, 'press')}&bucket=raw")
        await expect(page.locator("svg.chart").first).to_be_visible()
        on_history = await chart_label_size(page)
        assert on_history == on_endpoint, viewport


# 3. the endpoint's settings


async def test_the_endpoint_page_shows_every_setting_without_holes(
    browser: Browser, plant: RunningPulse
) -> None:
    page = await signed_in(browser, plant, TALL_DESKTOP)
    await page.goto(f"{plant.base_url}/endpoints/{endpoint_id(plant, 'gate')}")
    card = page.get_by_role("region", name="Configuration")
    port = plant.pulse.config.endpoints[2].port
    expected = {
        "Type": "http", "Address": f"127.0.0.1:{port}", "Host": "127.0.0.1", "Port": str(port),
        "HTTP path": "/health", "Body must contain": "ready", "Group": "Yard",
        "Interval": "2 s", "Timeout": "700 ms", "Retries": "1",
        "Offline after": "3 failed checks in a row", "Online after": "1 good check in a row",
        "Expected response": "40 ms", "Enabled": "yes", "Id": endpoint_id(plant, "gate"),
        "Notes": "the gate controller by the loading bay",
    }
    for term, value in expected.items():
        await expect(card.locator(f"[data-setting='{term}'] dd")).to_have_text(value)
    # the card ends with its last setting: no empty half beside a taller neighbour
    gap = await card.evaluate(
        """card => card.getBoundingClientRect().bottom
            - card.querySelector('dl').getBoundingClientRect().bottom"""
    )
    padding = await card.evaluate("card => parseFloat(getComputedStyle(card).paddingBottom) + 1")
    assert gap <= padding


# 4. and 10. the list


async def list_scrolled_to_the_end(page: Page) -> dict[str, float]:
    return await page.locator(".vlist").evaluate(
        """list => {
            list.scrollTop = list.scrollHeight;
            return new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => {
                const rows = [...list.querySelectorAll('.vrow')];
                const last = rows.reduce((a, b) => parseFloat(a.style.top) > parseFloat(b.style.top) ? a : b);
                const box = list.getBoundingClientRect();
                const row = last.getBoundingClientRect();
                resolve({
                    rowTop: row.top, rowBottom: row.bottom, rowText: last.textContent,
                    top: box.top + list.clientTop, bottom: box.top + list.clientTop + list.clientHeight,
                    window: innerHeight, pageScroll: scrollY,
                });
            })));
        }"""
    )


async def assert_last_row_in_view(page: Page) -> None:
    seen = await list_scrolled_to_the_end(page)
    assert "robot 127.3.0.62" in seen["rowText"]
    assert seen["top"] <= seen["rowTop"] and seen["rowBottom"] <= seen["bottom"], seen
    assert seen["pageScroll"] == 0 and seen["bottom"] <= seen["window"], seen


async def close_the_live_link(route: WebSocketRoute) -> None:
    """The live link drops at once, every time: the page shows its banner above the list."""
    await route.close()


async def test_the_last_row_of_the_list_scrolls_into_view(browser: Browser, tmp_path: Path) -> None:
    async with running_pulse(icmp_config(62), tmp_path) as server:
        page = await signed_in(browser, server, TALL_DESKTOP)
        await expect(page.locator("[data-count='total']")).to_have_text("62")
        await assert_last_row_in_view(page)

        # with the connection banner the content above the list is taller
        await page.route_web_socket(re.compile("/api/ws/status"), close_the_live_link)
        await page.reload()
        await expect(page.locator("#connection-banner")).to_be_visible()
        await expect(page.locator("[data-count='total']")).to_have_text("62")
        await assert_last_row_in_view(page)


async def test_a_new_search_shows_the_first_match_from_the_top(browser: Browser, tmp_path: Path) -> None:
    async with running_pulse(icmp_config(510), tmp_path) as server:
        page = await signed_in(browser, server)
        await expect(page.locator("[data-count='total']")).to_have_text("510")
        await page.locator(".vlist").evaluate("list => { list.scrollTop = list.scrollHeight; }")
        await expect(page.locator(".vrow", has_text="robot 127.3.1.254")).to_be_visible()

        await page.get_by_label("Search").fill("127.3.0.1")
        await expect(page.locator("[data-count='total']")).to_have_text("111")  # .1, .10-.19, .100-.199
        assert await page.locator(".vlist").evaluate("list => list.scrollTop") == 0
        first = page.locator(".vrow[data-endpoint-id] .c-name").first
        await expect(first).to_have_text("robot 127.3.0.1")
        await expect(first).to_be_in_viewport()


# 5. integrations


async def test_the_empty_integrations_page_says_how_to_add_a_notifier(
    browser: Browser, plant: RunningPulse
) -> None:
    page = await signed_in(browser, plant)
    await page.get_by_role("link", name="Integrations").click()
    help_panel = page.get_by_role("region", name="No notifiers yet")
    await expect(help_panel).to_contain_text("notifiers:")
    await expect(help_panel).to_contain_text("docs/alerting.md")
    example = await help_panel.locator("pre").inner_text()

    # the example is a configuration Pulse takes
    current = plant.config_path.read_text()
    async with plant.client() as client:
        answer = await client.post(
            "/api/configuration/apply?dryRun=true", content=current + example,
            headers={"Content-Type": "application/yaml"},
        )
    assert answer.status_code == 200, answer.text

    await help_panel.get_by_role("link", name="Open the Configuration page").click()
    await expect(page.get_by_role("heading", name="Configuration")).to_be_visible()


# 6. configuration errors


async def test_configuration_errors_name_their_line_and_column(browser: Browser, plant: RunningPulse) -> None:
    page = await signed_in(browser, plant)
    await page.get_by_role("link", name="Configuration").click()
    editor = page.get_by_label("Configuration YAML")
    await expect(editor).to_have_value(re.compile("assembly"))
    await editor.fill("version: 1\ndefaults: {interval_seconds: [\n")
    await page.get_by_role("button", name="Validate").click()
    messages = page.locator(".messages")
    await expect(messages.locator("li[data-line='3']")).to_contain_text(
        re.compile(r"^line 3, column \d+: invalid YAML")
    )
    await expect(messages).not_to_contain_text("<config>")


# 7. without JavaScript


async def test_without_javascript_the_page_says_so_and_points_to_the_api(
    browser: Browser, plant: RunningPulse
) -> None:
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(plant.base_url + "/")
    await expect(page.get_by_role("heading", name="JavaScript is off")).to_be_visible()
    link = page.get_by_role("link", name="/openapi.json")
    async with httpx.AsyncClient(base_url=plant.base_url) as client:
        document = await client.get(await link.get_attribute("href") or "")
    assert document.status_code == 200 and "paths" in document.json()
    await context.close()


# 8. and 9. live rows


async def strip(page: Page, name: str) -> list[tuple[str, str]]:
    bars = page.locator("[data-endpoint-id]", has_text=name).locator(".spark rect")
    return [(ts, kind) for ts, kind in await bars.evaluate_all(
        "bars => bars.map(bar => [bar.dataset.ts, bar.getAttribute('class')])"
    )]


async def test_a_row_going_offline_drops_its_response_time_and_keeps_one_bar_per_check(
    browser: Browser, plant: RunningPulse, listener: TcpListener
) -> None:
    page = await signed_in(browser, plant)
    row = page.locator("[data-endpoint-id]", has_text="press")
    await expect(row.locator(".c-rtt")).to_have_text(re.compile(r"\d ms$"), timeout=15_000)
    loaded = len(await strip(page, "press"))
    state = next(s for s in plant.pulse.monitor.states.values() if s.endpoint.name == "press")

    async def three_more_checks() -> bool | None:
        return len(state.recent_checks()) >= loaded + 3 or None

    await eventually(three_more_checks)  # checks the page has not drawn yet
    await listener.stop()
    await expect(row).to_have_attribute("data-status", "down", timeout=15_000)
    await expect(row.locator(".c-rtt")).to_have_text("–")

    # the strip shows the checks a reload draws, the newest offline, with none left out
    await expect(row.locator(".spark rect").last).to_have_class("d")
    shown = await strip(page, "press")
    live = await page.evaluate("fetch('/api/status/live').then(answer => answer.json())")
    item = next(i for i in live["items"] if i["endpoint"]["name"] == "press")
    checks = [(point["ts"], point["s"]) for point in item["sparkline"]]
    still_listed = [bar for bar in shown if bar[0] >= checks[0][0]]
    assert still_listed == checks[: len(still_listed)]
    assert len(shown) > loaded + 2


# 11. the set-up form


async def test_the_setup_form_shows_the_rules_and_every_problem_at_once(
    browser: Browser, plant: RunningPulse
) -> None:
    page = await browser.new_page(viewport=DESKTOP)
    await page.goto(plant.base_url + "/setup")
    await expect(page.get_by_role("heading", name="Welcome to Pulse")).to_be_visible()
    rules = page.get_by_role("list", name="Password rules")
    await expect(rules).to_contain_text("At least 8 characters")
    await expect(rules).to_contain_text("most common passwords")
    await expect(rules).to_contain_text("same in both password fields")

    await page.get_by_label("Username").fill(ADMIN["username"])
    await page.get_by_label("Email").fill(ADMIN["email"])
    await page.get_by_label("Password", exact=True).fill("short")
    await page.get_by_label("Confirm password").fill("shorter")
    await page.get_by_role("button", name="Create administrator").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("too short")
    await expect(alert).to_contain_text("differs from the password")
    async with plant.client(authenticated=False) as client:
        assert (await client.get("/api/auth/setup-required")).json() is True

    # the common-password rule is the server's: its refusal is shown as it is
    await page.get_by_label("Password", exact=True).fill("password123")
    await page.get_by_label("Confirm password").fill("password123")
    await page.get_by_role("button", name="Create administrator").click()
    await expect(alert).to_contain_text("most common passwords")

    await page.get_by_label("Password", exact=True).fill(ADMIN["password"])
    await page.get_by_label("Confirm password").fill(ADMIN["password"])
    await page.get_by_role("button", name="Create administrator").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    await page.get_by_role("button", name="Sign out").click()
    await page.goto(plant.base_url + "/setup")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.get_by_text("Set-up is done")).to_be_visible()
