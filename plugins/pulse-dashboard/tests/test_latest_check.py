"""The endpoint page's "Latest check" card, in a real browser against a real Pulse: the
address a tcp check connected to and the status code an http check got, and the card
redrawn when the endpoint's status changes (a failed tcp check tells nothing, so it goes)."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest_asyncio
from playwright.async_api import Browser, expect

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.receivers import Receiver
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.waiting import eventually

from .conftest import DESKTOP, endpoint_id, register_and_sign_in


@pytest_asyncio.fixture
async def plant(tcp_listener: TcpListener, tmp_path: Path) -> AsyncIterator[RunningPulse]:
    with Receiver() as receiver:
        config = f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500, retries: 0, failure_threshold: 1}}
groups: [{{id: plant, name: Plant}}]
targets:
  - {{type: tcp, name: press, host: 127.0.0.1, port: {tcp_listener.port}, group: plant}}
  - {{type: http, name: gate, host: 127.0.0.1, port: {receiver.port}, http_path: /health, group: plant}}
"""
        async with running_pulse(config, tmp_path) as running:
            yield running


async def test_the_latest_check_card_shows_the_probes_details_and_follows_a_change(
    browser: Browser, plant: RunningPulse, tcp_listener: TcpListener, screenshots: Path
) -> None:
    press, gate = endpoint_id(plant, "press"), endpoint_id(plant, "gate")

    async def both_told_details() -> bool | None:
        return (press in plant.pulse.monitor.details and gate in plant.pulse.monitor.details) or None

    await eventually(both_told_details)
    page = await browser.new_page(viewport=DESKTOP)
    await register_and_sign_in(page, plant)

    await page.goto(f"{plant.base_url}/endpoints/{gate}")
    card = page.get_by_role("region", name="Latest check")
    await expect(card.locator("[data-detail='status'] dt")).to_have_text("HTTP status")
    await expect(card.locator("[data-detail='status'] dd")).to_have_text("200")
    await page.screenshot(path=screenshots / "endpoint-latest-check.png", full_page=True)

    await page.goto(f"{plant.base_url}/endpoints/{press}")
    await expect(card.locator("[data-detail='address'] dt")).to_have_text("Connected to")
    await expect(card.locator("[data-detail='address'] dd")).to_have_text("127.0.0.1")

    # offline: the failed check told nothing, and the card goes with the status change
    await tcp_listener.stop()
    await expect(page.locator("h1 .status")).to_have_text("Offline", timeout=15_000)
    await expect(card).to_have_count(0)
