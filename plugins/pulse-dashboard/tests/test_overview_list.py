"""The overview's list in a real browser: the live list read once per page load (gzip, and a
WebSocket without a snapshot), names in natural order under every "Group by", and a search
that narrows and widens again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, AsyncIterator

import pytest_asyncio
from playwright.async_api import Page, Response, WebSocket, expect

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import RunningPulse, running_pulse

from .conftest import DESKTOP, register_and_sign_in


def site(port: int) -> str:
    """Names whose natural order is not their character order; one endpoint stays offline."""
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500, retries: 0}}
groups:
  - {{id: plant, name: Plant}}
  - {{id: yard, name: Yard, parent_id: plant}}
targets:
  - {{type: tcp, name: plc 10, host: 127.0.0.2, port: {port}, group: plant}}
  - {{type: tcp, name: Plc 100, host: 127.0.0.3, port: {port}, group: yard}}
  - {{type: tcp, name: plc 9, host: 127.0.0.4, port: {port}, group: plant}}
  - {{type: tcp, name: gate, host: 127.0.0.6, port: {port}, group: yard}}
  - {{type: tcp, name: camera, host: 127.0.0.5, port: 9, group: plant}}
"""


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningPulse]:
    listener = TcpListener(host="0.0.0.0")  # every loopback address
    await listener.start()
    async with running_pulse(site(listener.port), tmp_path) as running:
        yield running
    await listener.stop()


async def shown(page: Page) -> list[str]:
    """The rows in view, top to bottom: endpoint names, and headings as ``# heading``."""
    rows: list[str] = await page.locator(".vrow").evaluate_all(
        """rows => rows
            .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
            .map(row => row.classList.contains('group-header')
                ? '# ' + row.textContent.split(' · ')[0]
                : row.querySelector('.c-name').textContent)"""
    )
    return rows


async def test_one_read_of_the_live_list_gzip_and_a_socket_without_snapshot(
    browser: Any, server: RunningPulse
) -> None:
    page = await browser.new_page(viewport=DESKTOP)
    await register_and_sign_in(page, server)
    reads: list[Response] = []
    sockets: list[WebSocket] = []
    frames: list[dict[str, Any]] = []

    def on_socket(socket: WebSocket) -> None:
        sockets.append(socket)
        socket.on("framereceived", lambda payload: frames.append(json.loads(payload)))

    page.on("websocket", on_socket)
    page.on("response", lambda r: reads.append(r) if "/api/status/live" in r.url else None)
    await page.goto(server.base_url + "/")
    await expect(page.locator("[data-count='up']")).to_have_text("4", timeout=15_000)
    assert [socket.url.split("/api/ws/status")[1] for socket in sockets] == ["?snapshot=false"]
    assert len(reads) == 1
    assert reads[0].headers["content-encoding"] == "gzip"
    assert [frame for frame in frames if frame["type"] == "snapshot"] == []


async def test_names_in_natural_order_grouped_filtered_and_searched(
    browser: Any, server: RunningPulse
) -> None:
    page = await browser.new_page(viewport=DESKTOP)
    await register_and_sign_in(page, server)
    await expect(page.locator("[data-count='up']")).to_have_text("4", timeout=15_000)
    assert await shown(page) == [
        "# Plant", "camera", "plc 9", "plc 10", "# Yard", "gate", "Plc 100",
    ]
    group_by = page.get_by_label("Group by")
    await group_by.select_option(label="Nothing")
    assert await shown(page) == ["camera", "gate", "plc 9", "plc 10", "Plc 100"]
    await group_by.select_option(label="Status")
    assert await shown(page) == [
        "# Offline", "camera", "# Online", "gate", "plc 9", "plc 10", "Plc 100",
    ]

    search = page.get_by_label("Search")
    await search.press_sequentially("PLC 1")
    assert await shown(page) == ["# Online", "plc 10", "Plc 100"]
    await search.press("Backspace")
    assert await shown(page) == ["# Online", "plc 9", "plc 10", "Plc 100"]
    await search.fill("127.0.0.5")
    assert await shown(page) == ["# Offline", "camera"]
    await search.fill("")
    await page.locator("select[name=group]").select_option(label="\u00a0\u00a0Yard")
    assert await shown(page) == ["# Online", "gate", "Plc 100"]
    assert await page.locator("[data-count='total']").inner_text() == "2"
