"""A certificate authority made in the test, for servers that serve TLS on loopback.

Clients in tests trust the CA file as their only root, as a site trusts its own CA, so a
test exercises real verification (names, chain, validity), never ``verify=False``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pulse_core.certificates import (
    SERVER_CERTIFICATE_DAYS,
    Issuer,
    ca_certificate,
    certificate_pem,
    key_pem,
    new_key,
    server_certificate,
    with_local_names,
    write_private,
)


@dataclass(frozen=True)
class ServerFiles:
    """A server certificate and its key, PEM files."""

    certfile: Path
    keyfile: Path

    def spki_sha256(self) -> str:
        """The base64 SHA-256 of the certificate's public key: what Chromium's
        ``--ignore-certificate-errors-spki-list`` pins."""
        certificate = x509.load_pem_x509_certificate(self.certfile.read_bytes())
        spki = certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(hashlib.sha256(spki).digest()).decode()


class TestCA:
    """A CA in ``folder``: ``ca_file`` is its certificate, :meth:`issue` signs server
    certificates."""

    __test__ = False  # a helper, not a test class for pytest to collect

    def __init__(self, folder: Path, name: str = "Pulse test CA") -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        key = new_key()
        self._issuer = Issuer(ca_certificate(key, name), key)
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(certificate_pem(self._issuer.certificate))

    def issue(
        self, names: list[str] | None = None, stem: str = "server",
        days: int = SERVER_CERTIFICATE_DAYS,
    ) -> ServerFiles:
        """A server certificate for ``names`` and the loopback names, valid ``days``, signed
        by this CA."""
        key = new_key()
        certificate = server_certificate(
            key, with_local_names(names or []), self._issuer, days
        )
        files = ServerFiles(self.folder / f"{stem}-cert.pem", self.folder / f"{stem}-key.pem")
        files.certfile.write_bytes(certificate_pem(certificate))
        write_private(files.keyfile, key_pem(key))
        return files
