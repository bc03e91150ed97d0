"""Telling IP literals from names, as the TCP and HTTP probes do before connecting."""

from __future__ import annotations

import socket

import pytest

from pulse_core.ip_literals import literal_family


@pytest.mark.parametrize(
    ("host", "family"),
    [
        ("127.0.0.1", socket.AF_INET),
        ("10.0.1.250", socket.AF_INET),
        ("::1", socket.AF_INET6),
        ("2001:DB8::5", socket.AF_INET6),
        ("fe80::1%1", socket.AF_INET6),
        ("plc-1.plant.example", None),
        ("localhost", None),
        ("10.0.1", None),  # not an address to inet_pton or ipaddress: left to the resolver
        ("", None),
    ],
)
def test_literal_family(host: str, family: socket.AddressFamily | None) -> None:
    assert literal_family(host) == family
