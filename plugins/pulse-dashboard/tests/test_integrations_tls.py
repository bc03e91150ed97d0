"""The Integrations page shows why a receiver's certificate was refused, in Pulse's words."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.notifier_conformance import one_target_yaml
from pulse_core.testing.notifier_tls import RECEIVER_NAME, UNTRUSTED, https_receiver
from pulse_core.testing.receivers import Receiver
from pulse_core.testing.server import running_pulse
from pulse_core.testing.tls import TestCA
from pulse_core.testing.waiting import eventually

from .conftest import DESKTOP, register_and_sign_in


async def test_a_refused_certificate_shows_in_the_last_error_and_the_test_answer(
    browser: Browser, tmp_path: Path, tcp_listener: TcpListener, screenshots: Path
) -> None:
    ca = TestCA(tmp_path / "ca", "Plant private CA")
    with https_receiver(Receiver(), ca.issue([RECEIVER_NAME], stem="hooks")) as receiver:
        notifiers = [{"name": "plant-hooks", "webhook": {"url": receiver.url + "/hooks"}}]
        async with running_pulse(one_target_yaml(tcp_listener.port, notifiers), tmp_path) as server:
            await tcp_listener.stop()
            async with server.client() as client:

                async def failed() -> bool | None:
                    items = (await client.get("/api/integrations")).json()["items"]
                    return True if items[0]["health"]["failed"] else None

                await eventually(failed, every_s=0.25)
            page = await browser.new_page(viewport=DESKTOP)
            await register_and_sign_in(page, server)
            await page.get_by_role("link", name="Integrations").click()
            row = page.locator("tr", has_text="plant-hooks")
            await expect(row.locator("td.error-text")).to_contain_text(UNTRUSTED)
            await row.get_by_role("button", name="Send test").click()
            answer = row.locator("span.error-text")
            await expect(answer).to_contain_text(UNTRUSTED)
            await expect(answer).to_contain_text("permanent: retrying will not help")
            await page.screenshot(path=screenshots / "integrations-certificate-refused.png")
    assert receiver.requests == []
