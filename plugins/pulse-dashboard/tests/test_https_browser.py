"""The dashboard in a real Chromium over https, Pulse serving TLS with a test CA's certificate.

The CA cannot be given to Chromium here: on Linux it trusts roots from the NSS database in
``$HOME/.pki/nssdb``, which only NSS's ``certutil`` writes, and that tool is not installed.
So the test pins the server's public key with ``--ignore-certificate-errors-spki-list``:
Chromium accepts that one key and still refuses any other certificate, unlike
``ignore_https_errors``, which would accept anything.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright, expect
from playwright.async_api import Error as PlaywrightError

from pulse_core.testing.server import running_pulse
from pulse_core.testing.tls import TestCA

from .conftest import CHROMIUM, CHROMIUM_ARGS

CONFIG = """
version: 1
defaults: {interval_seconds: 3600}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant, name: PLC}]
server:
  tls: {certfile: pki/server-cert.pem, keyfile: pki/server-key.pem}
"""


@contextlib.asynccontextmanager
async def chromium(*extra_args: str) -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium (CI installs it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            yield browser
        finally:
            await browser.close()


async def test_chromium_loads_the_dashboard_over_https(tmp_path: Path) -> None:
    ca = TestCA(tmp_path / "pki")
    pin = f"--ignore-certificate-errors-spki-list={ca.issue().spki_sha256()}"
    async with running_pulse(CONFIG, tmp_path, ca.ca_file) as server, chromium(pin) as browser:
        page = await browser.new_page()
        response = await page.goto(server.base_url + "/")
        await expect(page.get_by_role("heading", name="Welcome to Pulse")).to_be_visible()
        assert response is not None
        security = await response.security_details()
    assert response.url.startswith("https://")
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    assert security is not None and security["protocol"].startswith("TLS 1.")


async def test_chromium_refuses_a_certificate_it_was_not_given(tmp_path: Path) -> None:
    """The pin is what lets the test above in: without it Chromium refuses the test CA."""
    ca = TestCA(tmp_path / "pki")
    ca.issue()
    async with running_pulse(CONFIG, tmp_path, ca.ca_file) as server, chromium() as browser:
        page = await browser.new_page()
        with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
            await page.goto(server.base_url + "/")
