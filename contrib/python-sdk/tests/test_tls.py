"""TLS options against Pulse behind a real TLS-terminating proxy with a self-signed
certificate: trusted through its CA file, refused with a message saying what to pass, and
unchecked only with a warning."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
from thingconnect_pulse import (
    InsecureTLSWarning,
    PulseClient,
    PulseConnectionError,
)

from .conftest import PASSWORD, USERNAME, Certificate, live_names_both_ways
from .relay import Relay


async def test_the_ca_file_of_pulse_certificate_is_trusted(
    tls_proxy: Relay, certificate: Certificate
) -> None:
    names = await live_names_both_ways(tls_proxy.url, certificate.cert)
    assert tls_proxy.url.startswith("https://")
    assert names == [["PLC Press"], ["PLC Press"]]


async def test_an_untrusted_certificate_says_what_to_pass(tls_proxy: Relay) -> None:
    with PulseClient(tls_proxy.url, username=USERNAME, password=PASSWORD) as client:
        with pytest.raises(PulseConnectionError) as refused:
            await asyncio.to_thread(client.get_live_status)
    assert str(refused.value).startswith(f"cannot reach Pulse at {tls_proxy.url}: ")
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    assert str(refused.value).endswith(
        "give the client verify='/path/to/ca.pem', the certificate of the CA that signed it"
    )


async def test_no_verification_works_and_warns(tls_proxy: Relay) -> None:
    with pytest.warns(InsecureTLSWarning, match="verify=False") as warned:
        client = PulseClient(tls_proxy.url, username=USERNAME, password=PASSWORD, verify=False)
    with client:
        status = await asyncio.to_thread(client.get_live_status)
    assert [item["endpoint"]["name"] for item in status] == ["PLC Press"]
    assert warned[0].filename == __file__  # points at the caller's line


def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "plant-ca.pem"
    with pytest.raises(ValueError, match=f"verify: no CA file at '{missing}'"):
        PulseClient("https://127.0.0.1:8443", api_key="pulse_x", verify=missing)


def test_a_file_that_is_not_a_certificate_is_named(tmp_path: Path) -> None:
    wrong = tmp_path / "notes.txt"
    wrong.write_text("not a certificate\n")
    with pytest.raises(ValueError, match=f"verify: '{wrong}' holds no PEM certificate"):
        PulseClient("https://127.0.0.1:8443", api_key="pulse_x", verify=wrong)


def test_an_ssl_context_is_used_as_given(certificate: Certificate) -> None:
    context = ssl.create_default_context(cafile=str(certificate.cert))
    with PulseClient("https://127.0.0.1:8443", api_key="pulse_x", verify=context) as client:
        assert client.base_url == "https://127.0.0.1:8443"
