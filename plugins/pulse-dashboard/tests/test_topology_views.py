"""Topology (``depends_on``) in a real browser: on the overview, the devices behind a dead
switch sit under its row, greyed, with the reason, and are counted as unreachable; an
endpoint's page shows the tree of dependencies around it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import pytest_asyncio
from playwright.async_api import expect

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse

from .conftest import DESKTOP, register_and_sign_in


def site(dead: int, alive: int) -> str:
    """A switch that never answers in one group, two PLCs behind it in another, a printer
    that answers on its own."""
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500, retries: 0}}
groups:
  - {{id: network, name: Network}}
  - {{id: line-1, name: Line 1, depends_on: switch-1}}
targets:
  - {{type: tcp, name: switch-1, host: 127.5.0.1, port: {dead}, group: network}}
  - {{type: tcp, name: printer, host: 127.5.0.4, port: {alive}, group: network}}
  - {{type: tcp, name: plc-1, host: 127.5.0.2, port: {dead}, group: line-1}}
  - {{type: tcp, name: plc-2, host: 127.5.0.3, port: {dead}, group: line-1}}
"""


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningPulse]:
    never, printer = TcpListener(), TcpListener(host="127.5.0.4")
    await printer.start()
    async with running_pulse(site(never.port, printer.port), tmp_path) as running:
        yield running
    await printer.stop()


async def rows(page: Any) -> list[str]:
    """The rows in view, top to bottom: ``name`` or ``name behind parent``, headings as
    ``# heading``."""
    found: list[str] = await page.locator(".vrow").evaluate_all(
        """rows => rows
            .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
            .map(row => row.classList.contains('group-header')
                ? '# ' + row.textContent.split(' · ')[0]
                : row.querySelector('.c-name').textContent)"""
    )
    return found


async def test_unreachable_devices_sit_under_their_switch(browser: Any, server: RunningPulse) -> None:
    page = await browser.new_page(viewport=DESKTOP)
    await register_and_sign_in(page, server)
    await expect(page.locator("[data-count='unreachable']")).to_have_text("2", timeout=20_000)
    await expect(page.locator("[data-behind]")).to_have_count(2)
    assert await rows(page) == [
        "# Network", "printer", "switch-1", "plc-1 behind switch-1", "plc-2 behind switch-1",
    ]
    plc = page.locator(".vrow[data-status='unreachable']").first
    assert float(await plc.evaluate("row => getComputedStyle(row).opacity")) < 1
    await expect(plc.locator(".status")).to_have_text("Unreachable")

    await page.get_by_role("link", name="plc-1").click()
    tree = page.get_by_role("region", name="Dependencies")
    await expect(tree).to_be_visible()
    assert await tree.locator("li").evaluate_all(
        "items => items.map(item => item.querySelector('.tree-node').textContent)"
    ) == ["Offline switch-1", "Unreachable plc-1 — behind switch-1"]
    await expect(page.locator("h1 .status")).to_have_text("Unreachable")
