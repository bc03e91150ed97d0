"""A real headless Chromium (Debian's package) driven by Playwright; no browser download."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from pulse_core.testing.server import RunningPulse

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these Chromium tries to reach Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPOSITORY = Path(__file__).resolve().parents[3]
#: Where the browser tests save their screenshots: a build folder git ignores, so that running
#: the tests leaves the checkout as it was. ``PULSE_SCREENSHOTS=docs/screenshots`` refreshes the
#: images the docs show (docs/dashboard.md says when).
SCREENSHOTS = REPOSITORY / os.environ.get("PULSE_SCREENSHOTS", "build/screenshots")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium (CI installs it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


#: the administrator the browser tests register on a new Pulse
ADMIN = {"username": "admin", "email": "admin@plant.example", "password": "correct horse battery"}


async def register_and_sign_in(page: Page, server: RunningPulse, base_url: str = "") -> None:
    await page.goto((base_url or server.base_url) + "/")
    await expect(page.get_by_role("heading", name="Welcome to Pulse")).to_be_visible()
    await page.get_by_label("Username").fill(ADMIN["username"])
    await page.get_by_label("Email").fill(ADMIN["email"])
    await page.get_by_label("Password", exact=True).fill(ADMIN["password"])
    await page.get_by_label("Confirm password").fill(ADMIN["password"])
    await page.get_by_role("button", name="Create administrator").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()


async def sign_in(page: Page, server: RunningPulse, username: str, password: str) -> None:
    """Sign in with an existing account on the sign-in page, as its owner would."""
    await page.goto(server.base_url + "/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def endpoint_id(server: RunningPulse, name: str) -> str:
    return next(e.id for e in server.pulse.config.endpoints if e.name == name)


async def screenshot_page(
    page: Page, url: str, file: Path, viewport: dict[str, int]
) -> None:
    """Open a page, wait until it has drawn and fetched everything, save it whole, and fail
    if it scrolls sideways at this width."""
    await page.goto(url)
    await expect(page.locator("main h1")).to_be_visible()
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=file, full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{url} scrolls sideways at {viewport['width']} px"
