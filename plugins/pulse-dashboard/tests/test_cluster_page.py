"""The Cluster page, in a real browser: two Pulse nodes on one PostgreSQL store list each other
with their sites and shares of the endpoints; a single node has no Cluster link."""

from __future__ import annotations

import json
import os
from pathlib import Path

from playwright.async_api import Browser, expect

from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.postgresql import postgresql_schema
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually

from .conftest import DESKTOP, PHONE, register_and_sign_in, screenshot_page

NODE_NAMES = ("node-a", "node-b")


def config(storage_url: str | None) -> str:
    refused = free_tcp_port()
    document: dict[str, object] = {
        "version": 1,
        "defaults": {"interval_seconds": 1, "timeout_ms": 300, "retries": 0},
        "groups": [{"id": "plant", "name": "Plant"}],
        "targets": [
            {"type": "tcp", "name": "block", "cidr": "127.0.6.0/29", "port": refused,
             "group": "plant"},
        ],
        "cluster": {"heartbeat_seconds": 1},
    }
    if storage_url is not None:
        document["storage"] = {"url": storage_url}
    return json.dumps(document)


async def test_the_cluster_page_lists_every_node(
    browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    with postgresql_schema() as url:
        text = config(url)
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        async with (
            running_pulse(text, tmp_path / "a", environ=dict(os.environ, PULSE_NODE_NAME="node-a")) as node_a,
            running_pulse(text, tmp_path / "b", environ=dict(os.environ, PULSE_NODE_NAME="node-b")),
        ):
            async with node_a.client() as client:

                async def once_both_own_endpoints() -> dict[str, object] | None:
                    body = (await client.get("/api/cluster")).json()
                    owned = [node["endpointsOwned"] for node in body["nodes"]]
                    return body if len(owned) == 2 and all(owned) else None

                seen = await eventually(once_both_own_endpoints, timeout_s=30)
            page = await browser.new_page(viewport=DESKTOP)
            await register_and_sign_in(page, node_a)
            await page.get_by_role("link", name="Cluster").click()

            await expect(page.get_by_role("heading", name="Cluster")).to_be_visible()
            await expect(page.get_by_role("status")).to_contain_text("2 of 2 nodes live")
            for name in NODE_NAMES:
                row = page.locator(f"tr[data-node='{name}']")
                await expect(row).to_contain_text("Alive")
                await expect(row.locator("td").nth(1)).to_have_text(seen["site"])  # type: ignore[arg-type]
            await expect(page.locator("tr[data-node='node-a'] td").first).to_contain_text("(this node)")
            owned = await page.locator("tbody tr td:nth-child(5)").all_inner_texts()
            endpoints = len(node_a.pulse.endpoints())
            assert sum(int(text.replace(",", "")) for text in owned) == endpoints

            for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
                await page.set_viewport_size(viewport)
                file = screenshots / f"cluster-{suffix}.png"
                await screenshot_page(page, node_a.base_url + "/cluster", file, viewport)


async def test_a_single_node_shows_no_cluster_link(browser: Browser, tmp_path: Path) -> None:
    async with running_pulse(config(None), tmp_path) as server:
        page = await browser.new_page(viewport=DESKTOP)
        await register_and_sign_in(page, server)
        await page.wait_for_load_state("networkidle")

        await expect(page.get_by_role("link", name="Integrations")).to_be_visible()
        await expect(page.get_by_role("link", name="Cluster")).to_be_hidden()
