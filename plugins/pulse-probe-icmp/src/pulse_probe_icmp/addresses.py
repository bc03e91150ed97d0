"""Turning an endpoint's ``host`` into the address an echo request is sent to.

IP literals, the common case for monitored devices, are parsed once and cached, so a check
costs a dictionary lookup rather than a ``getaddrinfo`` call. Host names are resolved at every
check, through the loop's resolver, so DNS changes are followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from dataclasses import dataclass

from pulse_core.contract import describe_lookup_error

SockAddr = tuple[str, int] | tuple[str, int, int, int]


class HostNotFound(Exception):
    """A host name that does not resolve to an address of a usable family, worded as every
    probe words a failed lookup (``pulse_core.probe_errors``)."""

    def __init__(self, host: str, reason: str | None = None) -> None:
        super().__init__(reason or f"host not found: {host}")
        self.host = host


@dataclass(frozen=True, slots=True)
class IcmpAddress:
    family: int
    #: printed by ``inet_ntop``, exactly as ``recvfrom`` reports the sender of a reply
    text: str
    #: as an ICMP error quotes the destination of the request that caused it
    packed: bytes
    sockaddr: SockAddr

    @classmethod
    def of(cls, family: int, host: str, scope_id: int = 0) -> IcmpAddress:
        """The address ``host`` (a numeric IPv4 or IPv6 address without scope) stands for."""
        packed = socket.inet_pton(family, host)
        text = socket.inet_ntop(family, packed)
        if text == host:
            text = host  # the configuration's string, not a second copy of it per address
        if family == socket.AF_INET6:
            return cls(family, text, packed, (text, 0, 0, scope_id))
        return cls(family, text, packed, (text, 0))


def parse_ip_literal(host: str) -> IcmpAddress | None:
    """The address ``host`` spells (``192.0.2.1``, ``2001:db8::1``, ``fe80::1%eth0``), or
    ``None`` when ``host`` is a name. Raises :class:`HostNotFound` for an unknown scope."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv4Address):
        return IcmpAddress.of(socket.AF_INET, host)
    scope_id = 0
    if ip.scope_id:
        try:
            scope_id = (
                int(ip.scope_id) if ip.scope_id.isdigit() else socket.if_nametoindex(ip.scope_id)
            )
        except OSError:
            raise HostNotFound(host) from None
    return IcmpAddress.of(socket.AF_INET6, str(ip).partition("%")[0], scope_id)


class AddressResolver:
    """Resolves hosts to one address of a family the engine has a socket for."""

    def __init__(self, families: Collection[int]) -> None:
        self._families = families
        #: host -> its parsed literal, or ``None`` for a name (so names are not re-parsed);
        #: plain IPv4 addresses are not kept: parsing one costs less than a microsecond, and
        #: keeping it about 200 bytes for every endpoint of a site
        self._literals: dict[str, IcmpAddress | None] = {}

    def literal(self, host: str) -> IcmpAddress | None:
        """``host`` as an address if it is an IP literal, ``None`` if it is a name."""
        try:
            return IcmpAddress(socket.AF_INET, host, socket.inet_pton(socket.AF_INET, host), (host, 0))
        except OSError:
            pass
        try:
            return self._literals[host]
        except KeyError:
            literal = self._literals[host] = parse_ip_literal(host)
            return literal

    async def resolve_name(self, host: str) -> IcmpAddress:
        loop = asyncio.get_running_loop()
        try:
            answers = await loop.getaddrinfo(host, None, type=socket.SOCK_RAW)
        except socket.gaierror as error:
            raise HostNotFound(host, describe_lookup_error(error, host)) from None
        except UnicodeError:
            raise HostNotFound(host) from None
        for family, _type, _proto, _canonname, sockaddr in answers:
            if family in self._families:
                scope_id = sockaddr[3] if len(sockaddr) == 4 else 0
                return IcmpAddress.of(family, str(sockaddr[0]), int(scope_id))
        raise HostNotFound(host)
