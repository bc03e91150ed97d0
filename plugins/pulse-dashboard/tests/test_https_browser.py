"""The dashboard in a real Chromium over https, Pulse serving TLS with a test CA's certificate:
signing in (the session cookie Secure) and a live change pushed over ``wss://``.

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

from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.server import running_pulse
from pulse_core.testing.tls import TestCA
from pulse_core.web.auth.sessions import COOKIE_NAME

from .conftest import CHROMIUM, CHROMIUM_ARGS, register_and_sign_in

def tls_config(device_port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 500, retries: 0}}
groups: [{{id: plant, name: Plant}}]
targets: [{{type: tcp, host: 127.0.0.1, port: {device_port}, group: plant, name: PLC}}]
server:
  tls: {{certfile: pki/server-cert.pem, keyfile: pki/server-key.pem}}
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


async def test_chromium_signs_in_and_follows_live_changes_over_https(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    ca = TestCA(tmp_path / "pki")
    pin = f"--ignore-certificate-errors-spki-list={ca.issue().spki_sha256()}"
    config = tls_config(tcp_listener.port)
    async with running_pulse(config, tmp_path, ca.ca_file) as server, chromium(pin) as browser:
        page = await browser.new_page()
        first = await page.goto(server.base_url + "/")
        assert first is not None
        security = await first.security_details()
        await register_and_sign_in(page, server)
        cookies = await page.context.cookies()
        await expect(page.locator("[data-count='up']")).to_have_text("1", timeout=15_000)
        await tcp_listener.stop()  # the change arrives over wss://, with the Secure cookie
        await expect(page.locator("[data-count='down']")).to_have_text("1", timeout=15_000)
    assert first.url.startswith("https://")
    assert first.headers["strict-transport-security"] == "max-age=31536000"
    assert security is not None and security["protocol"].startswith("TLS 1.")
    session = next(cookie for cookie in cookies if cookie["name"] == COOKIE_NAME)
    assert session["secure"] and session["httpOnly"]


async def test_chromium_refuses_a_certificate_it_was_not_given(tmp_path: Path) -> None:
    """The pin is what lets the test above in: without it Chromium refuses the test CA."""
    ca = TestCA(tmp_path / "pki")
    ca.issue()
    config = tls_config(free_tcp_port())
    async with running_pulse(config, tmp_path, ca.ca_file) as server, chromium() as browser:
        page = await browser.new_page()
        with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
            await page.goto(server.base_url + "/")
