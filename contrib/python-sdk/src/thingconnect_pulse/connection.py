"""How a client reaches Pulse: the address, the credentials and TLS, checked once for both
the synchronous and the asynchronous client."""

from __future__ import annotations

import base64
import os
import ssl
import warnings
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import httpx

from thingconnect_pulse.errors import InsecureTLSWarning
from thingconnect_pulse.websocket import socket_settings

#: ``True`` (the system's trusted CAs), ``False`` (no check, with a warning), the path of a
#: PEM file of the CA that signed Pulse's certificate, or a ready ``ssl.SSLContext``
Verify = bool | str | os.PathLike[str] | ssl.SSLContext


HttpClient = TypeVar("HttpClient", httpx.Client, httpx.AsyncClient)


class Connection(Generic[HttpClient]):
    """What both clients are made with; each says which httpx client sends its requests.

    Sign in with a user's ``username`` and ``password`` (HTTP Basic) or with an ``api_key``
    (``Authorization: Bearer``), or neither for the routes open to anyone; the live push's
    WebSocket is opened with the same credentials and TLS check as every request. ``verify``:
    ``True`` checks Pulse's certificate against the trusted CAs, a path names the PEM file of
    a plant's own CA, ``False`` checks nothing (and warns).
    """

    http_class: ClassVar[type[httpx.Client] | type[httpx.AsyncClient]]

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        verify: Verify = True,
    ) -> None:
        options = client_options(base_url, username, password, api_key, timeout_s, verify)
        self.base_url: str = options["base_url"]
        self._http: HttpClient = self.http_class(**options)  # type: ignore[assignment]
        self._socket = socket_settings(
            self.base_url, options["headers"], options["verify"], timeout_s
        )


def client_options(
    base_url: str,
    username: str | None,
    password: str | None,
    api_key: str | None,
    timeout_s: float,
    verify: Verify,
) -> dict[str, Any]:
    """The keyword arguments of ``httpx.Client``/``httpx.AsyncClient`` for these settings;
    a wrong combination raises ``ValueError`` saying which to give."""
    if (username is None) != (password is None):
        raise ValueError("give both username and password, or neither")
    if api_key is not None and username is not None:
        raise ValueError("give either username and password or api_key, not both")
    return {
        "base_url": base_url.rstrip("/"),
        "headers": authorization(username, password, api_key),
        "timeout": timeout_s,
        "verify": tls_verification(verify),
    }


def authorization(
    username: str | None, password: str | None, api_key: str | None
) -> dict[str, str]:
    """The ``Authorization`` header, sent with every request and with the WebSocket's
    handshake alike: Pulse's guard reads it on both, HTTP Basic included."""
    if api_key is not None:
        return {"Authorization": f"Bearer {api_key}"}
    if username is not None and password is not None:
        pair = base64.b64encode(f"{username}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {}


def tls_verification(verify: Verify) -> bool | ssl.SSLContext:
    """What httpx needs to check Pulse's certificate. A CA file is loaded here, so a missing
    or unreadable one is reported when the client is made, not at the first request."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False:
        warnings.warn(
            "TLS certificate verification is off (verify=False): anyone on the network path "
            "can pose as Pulse and read the credentials; give verify='/path/to/ca.pem' instead",
            InsecureTLSWarning,
            stacklevel=4,
        )
        return False
    if verify is True:
        return True
    ca_file = Path(verify)
    if not ca_file.is_file():
        raise ValueError(
            f"verify: no CA file at '{ca_file}': give the path of the PEM file holding the "
            "certificate of the CA that signed Pulse's certificate"
        )
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except ssl.SSLError as error:
        raise ValueError(
            f"verify: '{ca_file}' holds no PEM certificate ({error.reason or error}): give "
            "the CA's certificate in PEM form (-----BEGIN CERTIFICATE-----)"
        ) from None
