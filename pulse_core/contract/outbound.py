"""Where notifiers may send: the ``outbound`` section and the check made before every request.

A webhook URL comes from a configuration file that people other than the administrator may
edit through the API, so a notifier could be pointed at the machine itself (loopback), at a
cloud metadata service (169.254.169.254) or at multicast. Those destinations are refused by
default: the host is resolved and *every* address checked before any connection is made,
plain ``http://`` is refused unless allowed, and redirects are never followed (a 3xx reply
is an error naming its ``Location``), so a permitted server cannot bounce a request to a
refused one. ``allow_networks`` opens chosen ranges (tests allow ``127.0.0.0/8``).

``ca_file`` adds a private CA to the system's for every notifier (see
:mod:`pulse_core.contract.trust`); a notifier's own ``ca_file`` adds one for that notifier.

Known limit: the addresses are checked, then httpx resolves the name again to connect; a DNS
server that answers differently the second time (rebinding) is not defended against.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator
from pydantic_core import PydanticCustomError

from pulse_core.contract.trust import CaBundle, CaFile, client_context
from pulse_core.notifier import DeliveryError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud metadata services outside the link-local range (AWS's IPv6 one).
_METADATA = (ipaddress.ip_network("fd00:ec2::254/128"),)


def _network(value: Any) -> IPNetwork:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        raise PydanticCustomError(
            "network", "must be a network like 127.0.0.0/8 or fd00::/8"
        ) from None


Network = Annotated[IPNetwork, PlainValidator(_network), PlainSerializer(str)]


class OutboundSection(BaseModel):
    """The ``outbound`` section of the YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allow_networks: tuple[Network, ...] = Field(
        (), description="networks opened although refused by default, e.g. 127.0.0.0/8"
    )
    allow_plain_http: bool = False
    ca_file: CaFile | None = Field(
        None,
        description="PEM CA certificates trusted by every notifier, besides the system's",
    )


class OutboundRefused(DeliveryError):
    """The destination is refused by the outbound policy (permanent: retrying cannot help)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class OutboundPolicy:
    """The ``outbound`` rules, applied by :meth:`check_url` before each request."""

    allow_networks: tuple[IPNetwork, ...] = ()
    allow_plain_http: bool = False
    ca_file: CaBundle | None = None

    @classmethod
    def from_section(cls, section: OutboundSection | None) -> OutboundPolicy:
        section = section or OutboundSection()
        return cls(section.allow_networks, section.allow_plain_http, section.ca_file)

    def tls_context(self, ca_file: CaBundle | None = None) -> ssl.SSLContext:
        """The TLS context of one notifier: the system's CAs, ``outbound.ca_file`` and the
        notifier's own ``ca_file``."""
        return client_context(self.ca_file, ca_file)

    async def check_url(self, url: str) -> None:
        """Raise :class:`OutboundRefused` unless ``url`` may be requested."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OutboundRefused(f"{_safe(url)}: not an http(s) URL")
        if parts.scheme == "http" and not self.allow_plain_http:
            raise OutboundRefused(
                f"{_safe(url)}: plain http is refused; use https or set outbound.allow_plain_http"
            )
        await self.check_host(
            parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        )

    async def check_host(self, host: str, port: int) -> None:
        """Resolve ``host`` and raise :class:`OutboundRefused` if any address is refused."""
        for address in await _resolve(host, port):
            reason = self.refusal(address)
            if reason:
                raise OutboundRefused(
                    f"{host} ({address}) is {reason}: refused unless listed in "
                    "outbound.allow_networks"
                )

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` is refused, or None when it may be reached."""
        if (
            isinstance(address, ipaddress.IPv6Address)
            and address.ipv4_mapped is not None
        ):
            address = address.ipv4_mapped
        if any(address in network for network in self.allow_networks):
            return None
        if address.is_loopback:
            return "a loopback address"
        if address.is_link_local:
            return "a link-local address (cloud metadata lives there)"
        if address.is_multicast:
            return "a multicast address"
        if address.is_unspecified:
            return "the unspecified address"
        if any(address in network for network in _METADATA):
            return "a cloud metadata address"
        return None


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise DeliveryError(f"cannot resolve {host}: {error.strerror}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _safe(url: str) -> str:
    """``url`` without path, query or credentials, for messages (webhook URLs carry secrets)."""
    return redact_url(url)


def redact_url(url: str) -> str:
    """``https://host:port/***``: where a URL points, without the secrets in its path or query."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return "***"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    tail = "/***" if (parts.path.strip("/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{tail}"
