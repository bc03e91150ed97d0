"""One OPC UA session per endpoint, opened on first use and kept across checks.

Opening a session costs a TCP connection, a secure channel and two service calls (with
Basic256Sha256 also RSA work on both sides); a PLC with a handful of session slots must not
see that every ten seconds. A session whose connection is lost, or whose read failed, is
dropped and the next check opens a new one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from asyncua import Client, ua
from asyncua.client.ua_client import UaClientState
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from asyncua.crypto.uacrypto import CertProperties

from pulse_probe_opcua.credentials import load_credentials

#: asyncua reads the server state on its own at this interval to notice a dead connection;
#: the probe's checks already do that read, so the library's is made rare.
LIBRARY_WATCHDOG_S = 3600.0
#: How long closing a dropped session may take before its socket is simply closed.
CLOSE_TIMEOUT_S = 2.0
#: The shortest session lifetime asked of a server. The server ends a session that sees no
#: request for this long, so the slot of a Pulse that died is freed without Pulse's help.
MIN_SESSION_TIMEOUT_S = 60.0
CLIENT_NAME = "Pulse"


class OpenError(Exception):
    """Opening failed for a reason the probe words itself: the server offers no endpoint
    with the target's security."""


@dataclass(frozen=True)
class SessionSpec:
    """Everything a session is opened with: a change of any of it needs a new session."""

    url: str
    security: str
    security_mode: str
    certificate: str | None
    private_key: str | None
    server_certificate: str | None
    request_timeout_s: float
    session_timeout_s: float


class Session:
    """The kept session of one endpoint; concurrent checks share it."""

    def __init__(self, spec: SessionSpec) -> None:
        self.spec = spec
        #: ``time.monotonic()`` of the last check that used the session
        self.last_used = 0.0
        self._client: Client | None = None
        self._opening = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()

    async def client(self) -> Client:
        """The open client, opening one first when there is none or its connection is gone.

        Checks that arrive while a session is being opened wait for it rather than opening
        sessions of their own."""
        async with self._opening:
            client = self._client
            if client is None or client.uaclient.state is not UaClientState.CONNECTED:
                self.drop(client)
                client = self._client = await _open(self.spec)
            return client

    def drop(self, client: Client | None) -> None:
        """Forget ``client`` (if it is still the kept one) and close it in the background, so
        the failed check that drops it still answers within its timeout."""
        if client is None:
            return
        if client is self._client:
            self._client = None
        task = asyncio.create_task(_close(client))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def retire(self) -> None:
        """Close the kept client in the background: the endpoint's settings changed."""
        self.drop(self._client)

    async def close(self) -> None:
        self.retire()
        await asyncio.gather(*self._closing)


async def _open(spec: SessionSpec) -> Client:
    client = Client(spec.url, timeout=spec.request_timeout_s, watchdog_intervall=LIBRARY_WATCHDOG_S)
    client.name = client.description = CLIENT_NAME
    client.session_timeout = int(max(spec.session_timeout_s, MIN_SESSION_TIMEOUT_S) * 1000)
    try:
        if spec.security != "none":
            await _secure(client, spec)
        await client.connect()
    except ua.UaError as error:
        client.disconnect_socket()
        if str(error).startswith("No matching endpoints"):
            raise OpenError(_no_endpoint(spec)) from None
        raise
    except BaseException:
        # asyncua closes the socket on errors but not when the check's timeout cancels it
        client.disconnect_socket()
        raise
    return client


def _no_endpoint(spec: SessionSpec) -> str:
    if spec.security == "none":
        return "the server offers no endpoint without security: set security Basic256Sha256"
    return f"the server offers no {spec.security} {spec.security_mode} endpoint"


async def _secure(client: Client, spec: SessionSpec) -> None:
    assert spec.certificate is not None and spec.private_key is not None
    credentials = await load_credentials(
        spec.certificate, spec.private_key, spec.server_certificate
    )
    if credentials.application_uri is not None:
        client.application_uri = credentials.application_uri
    server_certificate = (
        None
        if credentials.server_certificate is None
        else CertProperties(credentials.server_certificate, "der")
    )
    await client.set_security(
        SecurityPolicyBasic256Sha256,
        CertProperties(credentials.certificate, "der"),
        CertProperties(credentials.private_key, "der"),
        server_certificate=server_certificate,
        mode=getattr(ua.MessageSecurityMode, spec.security_mode),
    )


async def _close(client: Client) -> None:
    """Ends the session politely when the server still answers, so its slot is freed now."""
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await client.disconnect()
    except (Exception, TimeoutError):  # the connection may be gone already: nothing to free
        pass
    finally:
        client.disconnect_socket()


def configure_library_logging() -> None:
    """asyncua logs every lost connection and closing of a dead session as warnings and
    errors; the probe reports those on the endpoint already. A level someone set on the
    ``asyncua`` logger is kept."""
    library = logging.getLogger("asyncua")
    if library.level == logging.NOTSET:
        library.setLevel(logging.CRITICAL)
