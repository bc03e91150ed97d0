"""Which servers a notifier trusts, and what it says when it trusts none.

Trust is the system's CAs *plus* ``outbound.ca_file`` *plus* the notifier's own ``ca_file``:
a private CA is added to the system's, never put in its place, so one file for the plant's
receivers does not cut Pulse off from a public Slack or Teams.

A ``ca_file`` is read when the configuration loads (a missing, unreadable or non-PEM file is
a configuration error at its YAML line), and only its certificates are kept: the path comes
from a file an editor may apply, so it may name any file the server can read. Only a regular
file of PEM size is read, only ``CERTIFICATE`` blocks are taken from it (a key beside them is
left alone), and no error repeats what the file holds: an editor learns whether a path is a
readable certificate bundle, nothing of its contents.

An untrusted certificate is permanent (retrying cannot make it trusted) and reported the
same way by every notifier, with the reason and the certificate's subject::

    hooks.plant.example:443: certificate verify failed: unable to get local issuer
    certificate for CN=hooks.plant.example; set ca_file to the CA that signs it

The subject is read from the very handshake that failed (:class:`_NamingSSLObject`), so
naming it costs no second connection to the receiver.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from pulse_core.contract.excerpts import excerpt
from pulse_core.config.tls import read_small_file
from pulse_core.notifier import DeliveryError

#: The words every certificate refusal starts with (the API keeps them whole, see
#: :func:`pulse_core.web.api.integrations.short_status`).
CERTIFICATE_REFUSED = "certificate verify failed"
#: OpenSSL's verify codes meaning "no trusted CA signs this": a ``ca_file`` is the fix.
_UNKNOWN_ISSUER_CODES = frozenset({2, 18, 19, 20, 21})
#: The longest subject quoted (it is the receiver's to choose).
_SUBJECT_MAX_CHARS = 64


@dataclass(frozen=True)
class CaBundle:
    """The certificates of a ``ca_file``, as read when the configuration loaded."""

    path: str
    pem: str


def read_ca_file(value: Any) -> CaBundle:
    """The certificates of the PEM file at ``value`` (an absolute path); a
    :class:`PydanticCustomError` saying what is wrong, never what the file holds."""
    if isinstance(value, CaBundle):
        return value
    if not isinstance(value, str) or not value:
        raise PydanticCustomError("ca_file", "must be the path of a PEM file")
    if not Path(value).is_absolute():
        raise PydanticCustomError(
            "ca_file", "must be an absolute path, e.g. /etc/pulse/private-ca.pem"
        )
    data = read_small_file(value)
    if isinstance(data, str):
        raise PydanticCustomError(
            "ca_file", "cannot read {path}: {reason}", {"path": value, "reason": data}
        )
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise PydanticCustomError(
            "ca_file",
            "{path} holds no PEM certificate (a file of -----BEGIN CERTIFICATE----- blocks)",
            {"path": value},
        ) from None
    pem = "".join(
        certificate.public_bytes(serialization.Encoding.PEM).decode()
        for certificate in certificates
    )
    return CaBundle(value, pem)


#: A ``ca_file`` option: checked and read when the configuration loads, shown as its path.
CaFile = Annotated[
    CaBundle,
    BeforeValidator(read_ca_file),
    PlainSerializer(lambda bundle: bundle.path),
    WithJsonSchema({"type": "string", "description": "absolute path of a PEM file"}),
]

#: A notifier's own ``ca_file`` (``ca_file: NotifierCaFile = None`` in its options model).
NotifierCaFile = Annotated[
    CaFile | None,
    Field(description="PEM CA certificates trusted for this receiver, besides the system's "
          "and outbound.ca_file"),
]


def client_context(*bundles: CaBundle | None) -> ssl.SSLContext:
    """A client context trusting the system's CAs and those of ``bundles``; its handshakes
    name the certificate they refuse (see :func:`certificate_refusal`)."""
    context = ssl.create_default_context()
    for bundle in bundles:
        if bundle is not None:
            context.load_verify_locations(cadata=bundle.pem)
    context.sslobject_class = _NamingSSLObject
    return context


class UntrustedCertificate(ssl.SSLCertVerificationError):
    """A refused certificate, with the subject of the one the server presented."""

    def __init__(self, error: ssl.SSLCertVerificationError, subject: str | None) -> None:
        super().__init__(*error.args)
        self.verify_code = error.verify_code
        self.verify_message = error.verify_message
        self.subject = subject


class _NamingSSLObject(ssl.SSLObject):
    """An SSL object whose failed verification carries the presented certificate's subject
    (asyncio and anyio both make theirs through ``SSLContext.wrap_bio``)."""

    def do_handshake(self) -> None:
        try:
            super().do_handshake()
        except ssl.SSLCertVerificationError as error:
            raise UntrustedCertificate(error, _presented_subject(self)) from error


def _presented_subject(tls: ssl.SSLObject) -> str | None:
    """The subject of the server's own certificate, as received (unverified); None when it
    cannot be read, so that naming it never hides the refusal itself."""
    public = getattr(tls, "get_unverified_chain", None)  # Python 3.13 and later
    try:
        chain = public() if public is not None else tls._sslobj.get_unverified_chain()  # type: ignore[attr-defined]
        if not chain:
            return None
        leaf = chain[0]
        der = leaf if isinstance(leaf, bytes) else leaf.public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
        subject = x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except (AttributeError, ValueError, ssl.SSLError):
        return None
    return excerpt(subject, _SUBJECT_MAX_CHARS) or None


def certificate_refusal(where: str, error: BaseException) -> DeliveryError | None:
    """The permanent :class:`DeliveryError` for a refused certificate anywhere in
    ``error``'s chain (httpx and aiosmtplib wrap the ``ssl`` error), or None."""
    cause: BaseException | None = error
    seen: set[int] = set()
    while cause is not None and not isinstance(cause, ssl.SSLCertVerificationError):
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
        if cause is not None and id(cause) in seen:
            return None
    if cause is None:
        return None
    reason = excerpt(str(cause.verify_message or cause.reason or "untrusted"))
    subject = getattr(cause, "subject", None)
    message = f"{where}: {CERTIFICATE_REFUSED}: {reason}"
    if subject:
        message += f" for {subject}"
    if cause.verify_code in _UNKNOWN_ISSUER_CODES:
        message += "; set ca_file to the CA that signs it"
    return DeliveryError(message, permanent=True)
