"""The ``opcua`` probe's checks: one Read of the server's state and of the target's nodes per
check, on a session kept per endpoint. asyncua is imported here, and this module when the
probe starts (:mod:`pulse_probe_opcua.probe`)."""

from __future__ import annotations

import asyncio
import time

from asyncua import Client, ua

from pulse_core.contract import Endpoint, ProbeChecks, ProbeResult, literal_family

from pulse_probe_opcua.credentials import CredentialError
from pulse_probe_opcua.errors import describe_error
from pulse_probe_opcua.options import OpcuaDefaults, OpcuaTargetOptions
from pulse_probe_opcua.session import (
    OpenError,
    Session,
    SessionSpec,
    configure_library_logging,
)
from pulse_probe_opcua.verdict import SERVER_STATE, judge

DEFAULT_PORT = 4840
#: A session without a check for this many intervals is closed (by the probe, and by the
#: server if Pulse is gone): its endpoint was removed or disabled.
SESSION_TIMEOUT_INTERVALS = 3
#: Bounds of the time between two looks for such sessions.
SWEEP_MIN_S, SWEEP_MAX_S = 1.0, 60.0
_NO_OPTIONS = OpcuaTargetOptions()


class OpcuaChecks(ProbeChecks):
    """Keeps one session per endpoint (see :mod:`pulse_probe_opcua.session`) and reads, in one
    request, ``ServerStatus.State`` and the target's ``nodes``. The round-trip time is that
    read's, so opening a session after a failure does not show as a slow server."""

    def __init__(self, settings: OpcuaDefaults) -> None:
        self.settings = settings
        self._sessions: dict[str, Session] = {}
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        configure_library_logging()
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="opcua-session-sweep")

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        sessions, self._sessions = list(self._sessions.values()), {}
        await asyncio.gather(*(session.close() for session in sessions))

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        options: OpcuaTargetOptions = endpoint.options or _NO_OPTIONS
        spec = self._spec(endpoint, options)
        if isinstance(spec, str):
            return ProbeResult.failure(spec)
        session = self._session(endpoint.id, spec)
        client: Client | None = None
        try:
            async with asyncio.timeout(endpoint.timeout_ms / 1000):
                client = await session.client()
                return await _read(client, options)
        except TimeoutError:
            session.drop(client)
            return ProbeResult.failure(f"timeout after {endpoint.timeout_ms} ms")
        except (CredentialError, OpenError) as error:
            return ProbeResult.failure(str(error))
        except (OSError, EOFError, UnicodeError, ua.UaError) as error:  # each ends the session
            session.drop(client)
            return ProbeResult.failure(describe_error(error, endpoint.host))

    def _session(self, endpoint_id: str, spec: SessionSpec) -> Session:
        """The endpoint's kept session; a changed target (new path, certificate, ...) gets a
        new one and the old one is closed."""
        session = self._sessions.get(endpoint_id)
        if session is None or session.spec != spec:
            if session is not None:
                session.retire()
            session = self._sessions[endpoint_id] = Session(spec)
        session.last_used = time.monotonic()
        return session

    async def _sweep_forever(self) -> None:
        """Closes the sessions of endpoints that are no longer checked (removed from the
        configuration, disabled), which would otherwise hold a connection slot of their
        server until Pulse stops. A task rather than a look at each check: when the last
        opcua endpoint goes, no check comes to look."""
        while True:
            await asyncio.sleep(self._sweep_delay())
            now = time.monotonic()
            for endpoint_id, session in list(self._sessions.items()):
                if now - session.last_used > session.spec.session_timeout_s:
                    del self._sessions[endpoint_id]
                    session.retire()

    def _sweep_delay(self) -> float:
        """The shortest idle span among the sessions (1 s to 60 s): a session is closed at most
        that long after its own span ran out."""
        spans = [session.spec.session_timeout_s for session in self._sessions.values()]
        return min(max(min(spans, default=SWEEP_MIN_S), SWEEP_MIN_S), SWEEP_MAX_S)

    def _spec(self, endpoint: Endpoint, options: OpcuaTargetOptions) -> SessionSpec | str:
        """The target's settings over ``defaults.opcua``; a text when they do not add up."""
        settings = self.settings
        security = options.security or settings.security
        certificate = options.certificate or settings.certificate
        private_key = options.private_key or settings.private_key
        if security != "none" and (certificate is None or private_key is None):
            return (
                f"security {security} needs certificate and private_key "
                "(on the target or in defaults.opcua)"
            )
        return SessionSpec(
            url=_url(endpoint.host, endpoint.port or DEFAULT_PORT, options.path),
            security=security,
            security_mode=options.security_mode or settings.security_mode,
            certificate=certificate,
            private_key=private_key,
            server_certificate=options.server_certificate,
            request_timeout_s=endpoint.timeout_ms / 1000,
            session_timeout_s=endpoint.interval_s * SESSION_TIMEOUT_INTERVALS,
        )


async def _read(client: Client, options: OpcuaTargetOptions) -> ProbeResult:
    node_ids = [SERVER_STATE, *(ua.NodeId.from_string(node.node) for node in options.nodes)]
    started = time.perf_counter()
    values = await client.uaclient.read_attributes(node_ids, ua.AttributeIds.Value)
    rtt_ms = round((time.perf_counter() - started) * 1000, 3)
    return judge(values, options.nodes, rtt_ms)


def _url(host: str, port: int, path: str) -> str:
    shown = f"[{host}]" if literal_family(host) is not None and ":" in host else host
    return f"opc.tcp://{shown}:{port}{path}"
