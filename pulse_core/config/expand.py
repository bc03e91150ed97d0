"""``cidr`` and ``wildcard`` targets: the host addresses they stand for.

The size is known from the prefix before anything is generated, so the loader can refuse a
``/8`` (or an IPv6 ``/64``) with a clear message instead of building millions of endpoints.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_WILDCARD = re.compile(r"(\d{1,3}\.\d{1,3}\.\d{1,3})\.\*")


class AddressRangeError(ValueError):
    """A ``cidr`` or ``wildcard`` that is not a valid range; the text is for people."""


@dataclass(frozen=True)
class AddressRange:
    """The host addresses of a network, as ``ipaddress`` defines them (``hosts()``)."""

    network: IPNetwork

    @property
    def size(self) -> int:
        """How many addresses :meth:`addresses` yields, computed without generating them."""
        network = self.network
        if network.prefixlen >= network.max_prefixlen - 1:
            return network.num_addresses  # /32 and /31 (/128 and /127): every address is a host
        # IPv4 drops the network and broadcast addresses, IPv6 the subnet-router anycast one.
        return network.num_addresses - (2 if network.version == 4 else 1)

    def addresses(self) -> Iterator[str]:
        return (str(address) for address in self.network.hosts())


def cidr_range(text: str) -> AddressRange:
    """``10.0.0.0/24`` or ``2001:db8::/120``; host bits must be zero, as in a routing table."""
    try:
        return AddressRange(ipaddress.ip_network(text.strip()))
    except ValueError as error:
        if "has host bits set" in str(error):
            network = ipaddress.ip_network(text.strip(), strict=False)
            raise AddressRangeError(
                f"'{text}' has host bits set: write {network} for the whole network, "
                "or use host for a single address"
            ) from error
        raise AddressRangeError(
            f"'{text}' is not a network: "
            "write an address and prefix like 10.0.0.0/24 or 2001:db8::/120"
        ) from error


def wildcard_range(text: str) -> AddressRange:
    """``a.b.c.*``: the addresses a.b.c.1 … a.b.c.254, that is the hosts of a.b.c.0/24."""
    match = _WILDCARD.fullmatch(text.strip())
    if match is not None:
        try:
            return AddressRange(ipaddress.IPv4Network(f"{match.group(1)}.0/24"))
        except ValueError:
            pass
    raise AddressRangeError(
        f"'{text}' is not a wildcard: write three IPv4 numbers and '*', like 10.0.0.*"
    )
