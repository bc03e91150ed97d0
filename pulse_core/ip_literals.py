"""Whether a host a probe is given is an IP address, and of which family.

Probes that open sockets skip name resolution for IP literals: ``getaddrinfo`` runs in a small
thread pool, where a slow name server would otherwise delay checks that need no name at all.
The question is asked at every check of every endpoint, so it must be cheap and keep nothing
per endpoint.
"""

from __future__ import annotations

import functools
import ipaddress
import socket


def literal_family(host: str) -> socket.AddressFamily | None:
    """The family of an IP literal, ``None`` for a name. A plain IPv4 address is told by
    ``inet_pton`` at each check, faster than a cache lookup and without an entry for every
    endpoint of a site; anything else is parsed once."""
    try:
        socket.inet_pton(socket.AF_INET, host)
    except OSError:
        return _other_literal_family(host)
    return socket.AF_INET


@functools.lru_cache(maxsize=4096)
def _other_literal_family(host: str) -> socket.AddressFamily | None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return socket.AF_INET6 if ip.version == 6 else socket.AF_INET
