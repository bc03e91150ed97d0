"""``server.tls``: its files anchored at the configuration's folder and checked when it loads.

A certificate that is missing, unreadable, not PEM, or not the key's, is reported with the
configuration's other problems (by ``pulse check`` too), naming the file and the fix, instead
of surfacing as an ``ssl`` traceback from the web server at start-up. An encrypted key is
refused here: given one, OpenSSL would stop Pulse to ask for its passphrase on the terminal.
"""

from __future__ import annotations

import datetime
import os
import ssl
import stat
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from pulse_core.config.errors import IssueCollector
from pulse_core.config.model import ServerSection, TlsSection

MAKE_ONE = "`pulse tls self-signed --out DIR` makes a first pair"
#: a certificate closer than this to its end is warned about at start-up
EXPIRY_WARNING_DAYS = 30
#: the largest certificate or key file read: a long chain is a few KiB
PEM_MAX_BYTES = 1024 * 1024


def checked_tls_files(
    server: ServerSection, config_dir: Path | None, issues: IssueCollector
) -> ServerSection:
    """``server`` with its ``tls`` files anchored (:func:`anchor_tls_files`); their problems
    are added to ``issues``."""
    anchored = anchor_tls_files(server, config_dir)
    if anchored.tls is not None:
        for key, message in tls_file_problems(anchored.tls):
            issues.add(("server", "tls", key), message)
    return anchored


def anchor_tls_files(server: ServerSection, config_dir: Path | None) -> ServerSection:
    """``server`` with relative ``tls`` paths made absolute from ``config_dir``, the
    configuration file's folder (not the working directory, which differs between a shell
    and a service manager)."""
    if server.tls is None or config_dir is None:
        return server
    anchored = {
        name: str(config_dir.absolute() / path)
        for name in ("certfile", "keyfile")
        if not (path := Path(getattr(server.tls, name))).is_absolute()
    }
    return server.model_copy(update={"tls": server.tls.model_copy(update=anchored)})


def tls_file_problems(tls: TlsSection) -> list[tuple[str, str]]:
    """What is wrong with the certificate and key files, as ``(key, message)`` pairs under
    ``server.tls``; none when Pulse can serve with them."""
    cert_text, key_text = read_small_file(tls.certfile), read_small_file(tls.keyfile)
    problems = []
    if isinstance(cert_text, str):
        problems.append(("certfile", f"cannot read {tls.certfile}: {cert_text}; give the path "
                         f"of a PEM certificate ({MAKE_ONE})"))
    if isinstance(key_text, str):
        problems.append(("keyfile", f"cannot read {tls.keyfile}: {key_text}; give the path of "
                         "the certificate's PEM private key, readable by the user Pulse runs as"))
    if isinstance(cert_text, str) or isinstance(key_text, str):
        return problems
    try:
        certificate = x509.load_pem_x509_certificates(cert_text)[0]
    except ValueError:
        return [("certfile", f"{tls.certfile} holds no PEM certificate (a file that starts "
                 f"with -----BEGIN CERTIFICATE-----); {MAKE_ONE}")]
    try:
        key = serialization.load_pem_private_key(key_text, password=None)
    except TypeError:
        return [("keyfile", f"{tls.keyfile} is encrypted with a passphrase, which Pulse cannot "
                 "ask for: write it unencrypted (`openssl pkey -in KEY -out NEW_KEY`) and keep "
                 "the file readable by Pulse's user only (chmod 600)")]
    except (ValueError, UnsupportedAlgorithm) as error:
        return [("keyfile", f"{tls.keyfile} holds no PEM private key ({_first_line(error)}); "
                 f"give the key the certificate {tls.certfile} was made for")]
    if _spki(key.public_key()) != _spki(certificate.public_key()):
        return [("keyfile", f"{tls.keyfile} is not the key of the certificate in {tls.certfile}: "
                 "give the key the certificate was made for (they are made together)")]
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
            tls.certfile, tls.keyfile, password=_no_passphrase
        )
    except (ssl.SSLError, OSError) as error:
        return [("certfile", f"{tls.certfile} with {tls.keyfile} cannot serve TLS: "
                 f"{_first_line(error)}; {MAKE_ONE}")]
    return []


def expiry_warning(tls: TlsSection, now: datetime.datetime) -> str | None:
    """What to say at start-up about a certificate that has expired or is about to (clients
    refuse an expired one, so Pulse would seem down to them), or ``None``. Serving goes on:
    a monitor that stopped for a certificate would watch nothing."""
    try:
        certificate = x509.load_pem_x509_certificates(Path(tls.certfile).read_bytes())[0]
    except (OSError, ValueError):
        return None  # checked when the configuration loaded; the web server reports it now
    ends = certificate.not_valid_after_utc
    if ends <= now:
        return (f"the certificate in {tls.certfile} expired on {ends:%Y-%m-%d}: browsers and "
                f"clients refuse it; replace it and restart Pulse ({MAKE_ONE})")
    if ends - now < datetime.timedelta(days=EXPIRY_WARNING_DAYS):
        return (f"the certificate in {tls.certfile} expires on {ends:%Y-%m-%d} "
                f"(in {(ends - now).days} days): replace it and restart Pulse")
    return None


def _spki(public_key: Any) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def read_small_file(path: str) -> bytes | str:
    """The file's bytes, or why it cannot be read. Only a regular file of a PEM file's size
    is read: the configuration may come through the API, and ``/dev/zero`` or a FIFO must not
    hang or fill the loading Pulse."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return "not a regular file"
        with open(path, "rb") as file:
            data = file.read(PEM_MAX_BYTES + 1)
    except OSError as error:
        return error.strerror or str(error)
    if len(data) > PEM_MAX_BYTES:
        return f"larger than {PEM_MAX_BYTES // 1024} KiB, too large for a PEM file"
    return data


def _no_passphrase() -> bytes:
    raise ValueError("the key is encrypted")


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
