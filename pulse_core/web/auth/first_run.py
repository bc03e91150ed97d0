"""Who may create the first administrator: a browser that named Pulse by its address.

Before the first user exists, anyone who reaches ``POST /api/auth/register`` becomes the
administrator. A page on another site can reach a Pulse on the visitor's network through DNS
rebinding: its own name is made to resolve to Pulse's address, so the browser treats Pulse as
that site, and the origin check passes (``Origin`` and ``Host`` both carry the attacker's
name). Such a request always names a host name, never an address; so the first registration
is accepted only for a ``Host`` that is an IP address or ``localhost``, which no other site
can make a browser send.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pulse_core.contract.api_errors import ApiError


def require_address_host(host_header: str) -> None:
    """Raise a 403 unless ``host_header`` names an IP address or ``localhost``."""
    host = urlsplit(f"//{host_header}").hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ApiError(
            403,
            f"the administrator is created only from an address: open Pulse as "
            f"http://<its IP address>:<port>/setup or http://localhost:<port>/setup (not by "
            f"the name {host!r}, which another site could make point here by DNS rebinding), "
            f"then use any name",
        ) from None
