"""Address ranges: sizes known before generating, exactly the addresses ``hosts()`` gives."""

from __future__ import annotations

import pytest

from pulse_core.config.expand import AddressRangeError, cidr_range, wildcard_range


@pytest.mark.parametrize(
    ("cidr", "size", "first", "last"),
    [
        ("10.0.0.0/24", 254, "10.0.0.1", "10.0.0.254"),
        ("10.0.0.0/30", 2, "10.0.0.1", "10.0.0.2"),
        ("10.0.0.0/31", 2, "10.0.0.0", "10.0.0.1"),
        ("10.0.0.7/32", 1, "10.0.0.7", "10.0.0.7"),
        ("2001:db8::/120", 255, "2001:db8::1", "2001:db8::ff"),
        ("2001:db8::/127", 2, "2001:db8::", "2001:db8::1"),
        ("2001:db8::5/128", 1, "2001:db8::5", "2001:db8::5"),
        ("2001:DB8::/126", 3, "2001:db8::1", "2001:db8::3"),
    ],
)
def test_cidr_sizes_match_the_addresses(cidr: str, size: int, first: str, last: str) -> None:
    address_range = cidr_range(cidr)
    addresses = list(address_range.addresses())
    assert address_range.size == len(addresses) == size
    assert (addresses[0], addresses[-1]) == (first, last)


def test_huge_ranges_are_sized_without_generating() -> None:
    assert cidr_range("10.0.0.0/8").size == 2**24 - 2
    assert cidr_range("2001:db8::/64").size == 2**64 - 1


def test_a_wildcard_is_one_to_254() -> None:
    addresses = list(wildcard_range("192.168.7.*").addresses())
    assert wildcard_range("192.168.7.*").size == len(addresses) == 254
    assert (addresses[0], addresses[-1]) == ("192.168.7.1", "192.168.7.254")


@pytest.mark.parametrize(
    ("cidr", "message"),
    [
        (
            "10.0.0.5/24",
            "'10.0.0.5/24' has host bits set: write 10.0.0.0/24 for the whole network, "
            "or use host for a single address",
        ),
        (
            "10.0.0.0/33",
            "'10.0.0.0/33' is not a network: write an address and prefix like "
            "10.0.0.0/24 or 2001:db8::/120",
        ),
        (
            "plant.local/24",
            "'plant.local/24' is not a network: write an address and prefix like "
            "10.0.0.0/24 or 2001:db8::/120",
        ),
    ],
)
def test_invalid_cidrs_explain_the_fix(cidr: str, message: str) -> None:
    with pytest.raises(AddressRangeError) as caught:
        cidr_range(cidr)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "wildcard", ["10.0.*", "10.0.0.0", "10.0.256.*", "10.0.0.*.*", "a.b.c.*", "10.0.0.1*"]
)
def test_invalid_wildcards_explain_the_fix(wildcard: str) -> None:
    with pytest.raises(AddressRangeError) as caught:
        wildcard_range(wildcard)
    assert str(caught.value) == (
        f"'{wildcard}' is not a wildcard: write three IPv4 numbers and '*', like 10.0.0.*"
    )
