"""Pulse's client certificate and key for secured endpoints, read from the files a target
names, with an error that names the file when one cannot be used."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pulse_core.contract import read_small_file


class CredentialError(Exception):
    """A certificate or key file that is missing or not what it should be."""


@dataclass(frozen=True)
class Credentials:
    """DER bytes, the form asyncua takes without guessing from a file name."""

    certificate: bytes
    private_key: bytes
    server_certificate: bytes | None
    #: the URI in the certificate: the client must announce the same one, or servers that
    #: check it refuse the session
    application_uri: str | None


async def load_credentials(
    certificate: str, private_key: str, server_certificate: str | None
) -> Credentials:
    """Files are read in a thread: a slow network share must not stall other checks."""
    cert = await asyncio.to_thread(_certificate, certificate, "certificate")
    key = await asyncio.to_thread(_private_key, private_key)
    server = (
        None
        if server_certificate is None
        else await asyncio.to_thread(_certificate, server_certificate, "server_certificate")
    )
    return Credentials(
        certificate=cert.public_bytes(serialization.Encoding.DER),
        private_key=key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        server_certificate=(
            None if server is None else server.public_bytes(serialization.Encoding.DER)
        ),
        application_uri=_application_uri(cert),
    )


def _read(path: str, key: str) -> bytes:
    """Bounded: the path comes from a configuration an editor may apply, and ``/dev/zero`` or
    a FIFO must neither fill Pulse's memory nor hold a worker thread at every check."""
    content = read_small_file(str(Path(path).expanduser()))
    if isinstance(content, str):
        reason = content[:1].lower() + content[1:]
        raise CredentialError(f"cannot read {key} {path}: {reason}")
    return content


def _certificate(path: str, key: str) -> x509.Certificate:
    content = _read(path, key)
    try:
        if content.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(content)
        return x509.load_der_x509_certificate(content)
    except ValueError:
        raise CredentialError(f"{key} {path} is no PEM or DER certificate") from None


def _private_key(path: str) -> rsa.RSAPrivateKey:
    content = _read(path, "private_key")
    try:
        if content.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(content, password=None)
        else:
            key = serialization.load_der_private_key(content, password=None)
    except (ValueError, TypeError):  # TypeError: the key is encrypted
        raise CredentialError(
            f"private_key {path} is no unencrypted PEM or DER key"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CredentialError(f"private_key {path} is not an RSA key (Basic256Sha256 needs one)")
    return key


def _application_uri(certificate: x509.Certificate) -> str | None:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    uris = names.value.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None
