"""The Users and API keys pages, in a real browser against a real Pulse: an administrator
makes a user and a key, revokes the key (which the API then refuses) and deactivates the
user; a viewer is not shown the pages."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user
from pulse_core.testing.server import RunningPulse, running_pulse

from .conftest import DESKTOP, PHONE, register_and_sign_in, screenshot_page, sign_in

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""
PASSWORD = "correct horse battery"


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(CONFIG, tmp_path) as running:
        yield running


async def administrator(browser: Browser, server: RunningPulse, viewport: dict[str, int]) -> Page:
    """Signed in as the first administrator, in a browser that lets the page use the clipboard."""
    context = await browser.new_context(
        viewport=viewport, permissions=["clipboard-read", "clipboard-write"]
    )
    page = await context.new_page()
    await register_and_sign_in(page, server)
    return page


async def test_an_administrator_manages_users_and_keys(
    browser: Browser, server: RunningPulse, screenshots: Path
) -> None:
    page = await administrator(browser, server, DESKTOP)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.get_by_role("link", name="Users").click()
    await expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    await page.get_by_label("Username").fill("olga")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("combobox", name="Role", exact=True).select_option("editor")
    await page.get_by_role("button", name="Create user").click()
    olga_row = page.locator("tr[data-username='olga']")
    await expect(page.get_by_role("status")).to_have_text("Created editor olga.")
    await expect(olga_row.get_by_role("combobox")).to_have_value("editor")
    await olga_row.get_by_role("combobox").select_option("viewer")
    await expect(page.get_by_role("status")).to_have_text("olga is now viewer.")
    await olga_row.get_by_role("button", name="Reset password").click()
    await page.get_by_label("New password for olga").fill("a brand new password")
    await olga_row.get_by_role("button", name="Set password", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("New password set for olga")
    async with httpx.AsyncClient(base_url=server.base_url) as olga:
        old_password = await olga.get("/api/auth/session", auth=("olga", PASSWORD))
        new_password = await olga.get("/api/auth/session", auth=("olga", "a brand new password"))

    await page.get_by_role("link", name="API keys").click()
    await page.get_by_label("Name (what the key is for)").fill("grafana")
    await page.get_by_role("button", name="Create key").click()
    new_key = page.get_by_role("region", name="The new key")
    await expect(new_key).to_contain_text("Shown only now")
    secret = await new_key.get_by_role("textbox").input_value()
    await new_key.get_by_role("button", name="Copy").click()
    await expect(new_key.get_by_role("status")).to_have_text("Copied.")
    grafana_row = page.locator("tr[data-key='grafana']")
    await expect(grafana_row).to_contain_text(secret.split("_")[1])  # the prefix, not the secret
    await page.screenshot(path=screenshots / "api-keys-desktop.png", full_page=True)
    clipboard = await page.evaluate("navigator.clipboard.readText()")
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"Authorization": f"Bearer {secret}"}
    ) as grafana:
        before = await grafana.get("/api/status/live")
        await new_key.get_by_role("button", name="Done").click()
        await grafana_row.get_by_role("button", name="Revoke").click()
        await expect(grafana_row).to_contain_text("Programs using it stop working")
        await grafana_row.get_by_role("button", name="Yes, revoke").click()
        await expect(grafana_row).to_have_count(0)
        after = await grafana.get("/api/status/live")

    await page.get_by_role("link", name="Users").click()
    await olga_row.get_by_role("button", name="Deactivate").click()
    await expect(olga_row).to_contain_text("Deactivated")
    await page.screenshot(path=screenshots / "users-desktop.png", full_page=True)
    async with httpx.AsyncClient(
        base_url=server.base_url, auth=("olga", "a brand new password")
    ) as olga:
        olga_after = await olga.get("/api/auth/session")
    assert (old_password.status_code, new_password.status_code) == (401, 200)
    assert new_password.json()["role"] == "viewer"
    assert clipboard == secret
    assert (before.status_code, after.status_code) == (200, 401)
    assert olga_after.status_code == 401
    assert errors == []


async def test_the_last_administrator_is_kept_with_the_servers_reason(
    browser: Browser, server: RunningPulse
) -> None:
    page = await administrator(browser, server, DESKTOP)
    await page.goto(server.base_url + "/users")
    await page.locator("tr[data-username='admin']").get_by_role("button", name="Deactivate").click()
    await expect(page.get_by_role("status")).to_contain_text("last active administrator")
    await expect(page.locator("tr[data-username='admin']")).to_contain_text("Active")


@pytest.mark.parametrize("path", ["/users", "/api-keys"])
async def test_a_viewer_is_not_shown_the_pages(
    browser: Browser, server: RunningPulse, path: str
) -> None:
    await add_user(server, "olga", Role.VIEWER, PASSWORD)
    page = await browser.new_page(viewport=DESKTOP)
    await sign_in(page, server, "olga", PASSWORD)
    navigation = page.get_by_role("navigation", name="Main")
    await expect(navigation.get_by_role("link", name="History")).to_be_visible()
    await expect(navigation.get_by_role("link", name="Users")).to_be_hidden()
    await expect(navigation.get_by_role("link", name="API keys")).to_be_hidden()
    await page.goto(server.base_url + path)
    await expect(page.locator("main")).to_contain_text("Only administrators manage accounts")
    await expect(page.locator("main table")).to_have_count(0)


async def test_the_pages_fit_a_phone(
    browser: Browser, server: RunningPulse, screenshots: Path
) -> None:
    page = await administrator(browser, server, PHONE)
    await add_user(server, "olga", Role.EDITOR, PASSWORD)
    for name, path in {"users": "/users", "api-keys": "/api-keys"}.items():
        file = screenshots / f"{name}-phone.png"
        await screenshot_page(page, server.base_url + path, file, PHONE)
        await expect(page.locator("main table")).to_be_visible()
