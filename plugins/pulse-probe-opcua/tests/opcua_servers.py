"""Real OPC UA servers (asyncua's) on loopback for the probe's tests, and the certificates
the secured ones need, made with ``cryptography`` for each test."""

from __future__ import annotations

import asyncio
import datetime
import threading
from dataclasses import dataclass
from pathlib import Path

from asyncua import Server, ua
from asyncua.crypto.validator import CertificateValidatorMethod
from asyncua.common.utils import ServiceError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pulse_core.testing.listeners import free_tcp_port

NAMESPACE = "urn:pulse:test:line-1"
SPEED = "ns=2;s=Line1.Speed"
SPEED_VALUE = 1200.5
MODE = "ns=2;s=Line1.Mode"
MODE_VALUE = "auto"
RUNNING = "ns=2;s=Line1.Running"
SERVER_URI = "urn:pulse:test:server"
PATH = "/pulse/line-1"


@dataclass(frozen=True)
class CertificateFiles:
    certificate: Path
    private_key: Path
    der: bytes


def make_certificate(folder: Path, name: str, uri: str, server: bool) -> CertificateFiles:
    """A self-signed application instance certificate as OPC UA wants one: the application
    URI in subjectAltName, key usages for signing and encryption, the role's extended usage.
    The certificate is written as DER and the key as PEM, the forms devices export."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    role = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(uri), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=True,
                data_encipherment=True, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([role]), critical=False)
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    files = CertificateFiles(folder / f"{name}.der", folder / f"{name}.key.pem", der)
    files.certificate.write_bytes(der)
    files.private_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def trusting(*trusted: CertificateFiles) -> CertificateValidatorMethod:
    """A server's trust list: any other client certificate is refused the way many devices
    refuse it, with BadSecurityChecksFailed."""
    accepted = {files.der for files in trusted}

    async def validate(certificate: x509.Certificate, _app: ua.ApplicationDescription) -> None:
        if certificate.public_bytes(serialization.Encoding.DER) not in accepted:
            raise ServiceError(ua.StatusCodes.BadSecurityChecksFailed)

    return validate


class OpcuaServer:
    """An asyncua server with three variables of known value under ns=2; ``stop()`` and
    ``start()`` switch it off and on, on the same port, as a restarted device would be."""

    def __init__(
        self,
        certificate: CertificateFiles | None = None,
        validator: CertificateValidatorMethod | None = None,
    ) -> None:
        self.port = free_tcp_port()
        self.url = f"opc.tcp://127.0.0.1:{self.port}{PATH}"
        self._certificate = certificate
        self._validator = validator
        self._server: Server | None = None

    async def start(self) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(self.url)
        await server.set_application_uri(SERVER_URI)
        if self._certificate is None:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        else:
            server.set_security_policy(
                [
                    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
                    ua.SecurityPolicyType.Basic256Sha256_Sign,
                ]
            )
            await server.load_certificate(self._certificate.der)
            await server.load_private_key(self._certificate.private_key.read_bytes(), format="pem")
        if self._validator is not None:
            server.set_certificate_validator(self._validator)
        index = await server.register_namespace(NAMESPACE)
        line = await server.nodes.objects.add_object(index, "Line1")
        await line.add_variable(ua.NodeId("Line1.Speed", index), "Speed", SPEED_VALUE)
        await line.add_variable(ua.NodeId("Line1.Mode", index), "Mode", MODE_VALUE)
        await line.add_variable(ua.NodeId("Line1.Running", index), "Running", True)
        await server.start()
        self._server = server

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop()

    async def set_state(self, state: ua.ServerState) -> None:
        """What a server reports while it is suspended or shutting down."""
        assert self._server is not None
        node = self._server.get_node(ua.NodeId(ua.ObjectIds.Server_ServerStatus_State))
        await node.write_value(ua.Variant(state, ua.VariantType.Int32))

    async def write(self, node: str, value: object) -> None:
        assert self._server is not None
        await self._server.get_node(node).write_value(value)


def peers(server: OpcuaServer) -> list[tuple[str, int]]:
    """The client addresses of the server's open connections: the same address across checks
    means the same connection, and so the same session, was used."""
    assert server._server is not None and server._server.bserver is not None
    return [client.peer_name for client in server._server.bserver.clients]


class ServerThread:
    """Runs an :class:`OpcuaServer` on an event loop of its own thread, so one server can
    outlive the event loop of each test: starting a server loads the whole standard address
    space, seconds on a busy machine, and most tests only read from it."""

    def __init__(self, server: OpcuaServer) -> None:
        self.server = server
        self.port = server.port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> ServerThread:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result()
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
