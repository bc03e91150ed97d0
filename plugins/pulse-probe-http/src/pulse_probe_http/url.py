"""Which URL an ``http`` endpoint stands for.

A target's ``host`` may be ``https://name``, ``http://name`` or a bare name or address.
Without a scheme, https is used when the port is one that by convention serves TLS
(REFERENCE.md 1.1); an explicit scheme always wins, so ``http://name`` on port 8443 stays
plain http. Without a port, the scheme's default port (80 or 443) is used.
"""

from __future__ import annotations

import functools

import httpx

HTTPS_PORTS = frozenset({443, 4443, 8443, 9443})


@functools.lru_cache(maxsize=65_536)
def target_url(host: str, port: int | None, path: str) -> httpx.URL:
    """Cached: parsing a URL costs more than the rest of a check's Python work, and an
    endpoint asks for the same one every interval (URLs are immutable, so sharing is safe)."""
    if "://" in host:
        given = httpx.URL(host)
        scheme, name, port = given.scheme, given.host, port or given.port
    else:
        scheme = "https" if port in HTTPS_PORTS else "http"
        name = host.strip("[]")  # an IPv6 address may come bracketed or not
    return httpx.URL(scheme=scheme, host=name, port=port).join(path)
