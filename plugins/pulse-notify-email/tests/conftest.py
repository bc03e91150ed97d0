"""A real SMTP server for the tests: aiosmtpd on loopback, with STARTTLS (or implicit TLS) and
a login, a self-signed certificate made by the ``openssl`` command, and scripted refusals."""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Self

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from pulse_core.testing.listeners import free_tcp_port

LOGIN = "pulse"
PASSWORD = "Mail-Passw0rd-For-Tests"


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: list[str]
    login: str | None
    encrypted: bool
    message: EmailMessage

    def part(self, subtype: str) -> str:
        body = self.message.get_body((subtype,))
        assert body is not None, f"no text/{subtype} part"
        content: str = body.get_content()
        return content.replace("\r\n", "\n")  # as sent: SMTP lines end in CRLF


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (and localhost)."""
    folder = tmp_path_factory.mktemp("tls")
    made = Certificate(folder / "cert.pem", folder / "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(made.key),
            "-out",
            str(made.cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return made


class SmtpServer:
    """aiosmtpd in a thread of its own: login required, STARTTLS required before it (or
    implicit TLS); ``script("451 4.3.0 Try again later")`` answers the next messages' DATA."""

    def __init__(self, certificate: Certificate, implicit_tls: bool = False) -> None:
        self.port = free_tcp_port()
        self.cafile = str(
            certificate.cert
        )  # what a client trusts to talk to this server
        self.emails: list[ReceivedEmail] = []
        self._scripted: deque[str] = deque()
        self._lock = threading.Lock()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate.cert, certificate.key)
        self.implicit_tls = implicit_tls
        # aiosmtpd knows of STARTTLS only: on an implicit TLS server every session is encrypted.
        tls: dict[str, Any] = (
            {"ssl_context": context, "auth_require_tls": False}
            if implicit_tls
            else {
                "tls_context": context,
                "require_starttls": True,
                "auth_require_tls": True,
            }
        )
        self._controller = _CountingController(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=_authenticate,
            auth_required=True,
            server_hostname="localhost",
            **tls,
        )

    def script(self, *replies: str) -> None:
        with self._lock:
            self._scripted.extend(replies)

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        with self._lock:
            if self._scripted:
                return self._scripted.popleft()
        message = email.message_from_bytes(
            envelope.content or b"", policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        login = (
            session.auth_data.login.decode()
            if isinstance(session.auth_data, LoginPassword)
            else None
        )
        self.emails.append(
            ReceivedEmail(
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
                login,
                self.implicit_tls or session.ssl is not None,
                message,
            )
        )
        return "250 2.0.0 Ok: queued"

    @property
    def connections(self) -> int:
        """Connections accepted since :meth:`__enter__` (not the controller's own check)."""
        return self._controller.connections

    def __enter__(self) -> Self:
        self._controller.start()
        self._controller.connections = 0
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()


class _CountingController(Controller):
    """Counts the connections accepted (asyncio makes a protocol for each before any TLS)."""

    connections = 0

    def factory(self) -> SMTP:
        self.connections += 1
        return super().factory()


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == LOGIN.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@pytest.fixture
def smtp_server(certificate: Certificate) -> Iterator[SmtpServer]:
    with SmtpServer(certificate) as server:
        yield server
