"""Hosts to addresses: literals parsed once, in the form replies are compared against."""

from __future__ import annotations

import socket

import pytest

from pulse_probe_icmp.addresses import AddressResolver, HostNotFound, IcmpAddress, parse_ip_literal


def test_an_ipv4_literal_is_its_own_address() -> None:
    assert parse_ip_literal("127.0.0.1") == IcmpAddress(
        socket.AF_INET, "127.0.0.1", bytes([127, 0, 0, 1]), ("127.0.0.1", 0)
    )


def test_an_ipv6_literal_is_printed_as_the_kernel_reports_its_replies() -> None:
    address = parse_ip_literal("2001:DB8:0:0::1")
    assert address is not None
    assert address.text == "2001:db8::1"
    assert address.sockaddr == ("2001:db8::1", 0, 0, 0)


def test_a_link_local_literal_keeps_its_interface_as_the_scope() -> None:
    address = parse_ip_literal("fe80::1%lo")
    assert address is not None
    assert address.sockaddr == ("fe80::1", 0, 0, socket.if_nametoindex("lo"))


def test_an_unknown_interface_is_reported_as_the_host_not_found() -> None:
    with pytest.raises(HostNotFound, match=r"host not found: fe80::1%nosuchif0"):
        parse_ip_literal("fe80::1%nosuchif0")


def test_a_name_is_not_a_literal() -> None:
    assert parse_ip_literal("plc-7.plant.example") is None


def test_the_resolver_parses_an_ipv6_literal_once_and_keeps_no_ipv4_address() -> None:
    """An IPv4 address is parsed at each check (cheaper than keeping it for every endpoint
    of a site); anything else once."""
    resolver = AddressResolver({socket.AF_INET, socket.AF_INET6})
    ipv6 = resolver.literal("::1")
    assert ipv6 is not None and resolver.literal("::1") is ipv6
    ipv4 = resolver.literal("127.0.0.5")
    assert ipv4 == IcmpAddress(socket.AF_INET, "127.0.0.5", bytes([127, 0, 0, 5]), ("127.0.0.5", 0))
    assert resolver.literal("127.0.0.5") == ipv4
    assert "127.0.0.5" not in resolver._literals


def test_the_resolver_leaves_names_to_name_resolution() -> None:
    assert AddressResolver({socket.AF_INET}).literal("localhost") is None
