"""Making keys and X.509 certificates: ``pulse tls self-signed`` and the test kit's CA.

Certificate building is left to ``cryptography``, a library kept by people who follow the
standards and the browsers' rules; this module only chooses what a certificate for Pulse
holds. Keys are ECDSA P-256, which every browser, Python, Node and curl take. Every
certificate carries subject and authority key identifiers, which strict verifiers (Python
3.13's default, for one) require.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: names every certificate Pulse makes is valid for, so ``https://localhost`` works at once
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
#: the longest validity Apple's and other clients accept for a TLS server certificate
SERVER_CERTIFICATE_DAYS = 825
#: a test or private CA outlives the certificates it signs
CA_DAYS = 3650
#: a certificate is valid from a little before now, so a client whose clock is behind takes it
_BACKDATE = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class Issuer:
    """Who signs a certificate: a CA's certificate and key."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def ca_certificate(key: ec.EllipticCurvePrivateKey, common_name: str) -> x509.Certificate:
    """A self-signed CA certificate that may sign server certificates (not other CAs)."""
    builder = _builder(common_name, key, None, CA_DAYS)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True,
            content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, encipher_only=False, decipher_only=False,
        ),
        critical=True,
    )
    return builder.sign(key, hashes.SHA256())


def server_certificate(
    key: ec.EllipticCurvePrivateKey, names: list[str], issuer: Issuer | None = None,
    days: int = SERVER_CERTIFICATE_DAYS,
) -> x509.Certificate:
    """A TLS server certificate for ``names`` (DNS names or IP addresses, listed as subject
    alternative names, the only names clients look at), valid ``days``, signed by ``issuer``,
    or by ``key`` itself when there is none (self-signed)."""
    builder = _builder(names[0], key, issuer, days)
    builder = builder.add_extension(
        x509.SubjectAlternativeName([_general_name(name) for name in names]), critical=False
    )
    builder = builder.add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
    )
    signing_key = issuer.key if issuer is not None else key
    return builder.sign(signing_key, hashes.SHA256())


def with_local_names(names: list[str]) -> list[str]:
    """``names`` first (the first is the subject's name), then :data:`LOCAL_NAMES`, once each."""
    return list(dict.fromkeys([*names, *LOCAL_NAMES]))


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def write_private(path: Path, data: bytes) -> None:
    """Write a new file readable by its owner only (0600 from the start, never wider)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def _builder(
    common_name: str, key: ec.EllipticCurvePrivateKey, issuer: Issuer | None, days: int
) -> x509.CertificateBuilder:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer_name = issuer.certificate.subject if issuer is not None else subject
    authority = issuer.key.public_key() if issuer is not None else key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority), critical=False
        )
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)
