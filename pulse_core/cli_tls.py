"""``pulse tls self-signed``: a key and a self-signed certificate for a first install.

Enough to serve HTTPS at once on a site without a CA of its own; browsers warn until the
certificate is trusted (or replaced by one the site's CA signs). The key is written readable
by its owner only, and existing files are never overwritten: a key in use is not lost to a
command run twice.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from pydantic import TypeAdapter, ValidationError

from pulse_core.certificates import (
    SERVER_CERTIFICATE_DAYS,
    certificate_pem,
    key_pem,
    new_key,
    server_certificate,
    with_local_names,
    write_private,
)
from pulse_core.config.limits import Host

CERT_NAME, KEY_NAME = "pulse-cert.pem", "pulse-key.pem"
_HOST: TypeAdapter[str] = TypeAdapter(Host)


def add_tls_command(commands: Any) -> None:
    """Add ``tls self-signed`` to the ``pulse`` command's subparsers."""
    tls = commands.add_parser("tls", help="make certificates for serving HTTPS")
    actions = tls.add_subparsers(dest="tls_action", required=True)
    self_signed = actions.add_parser(
        "self-signed", help="make a key and a self-signed certificate for server.tls"
    )
    self_signed.add_argument(
        "--out", type=Path, required=True,
        help="folder to write pulse-cert.pem and pulse-key.pem to",
    )
    self_signed.add_argument(
        "--host", action="append", default=[], metavar="NAME", type=certificate_name,
        help="a DNS name or IP address browsers will use (repeat for more); "
        "localhost, 127.0.0.1 and ::1 are always included",
    )


def certificate_name(text: str) -> str:
    """A ``--host``: an IP address or a host name, by the rule of ``server.host``."""
    try:
        return _HOST.validate_python(text).strip()
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an IP address nor a host name (letters, digits, '-' and '_' "
            "between dots)"
        ) from None


def cmd_tls(args: argparse.Namespace) -> int:
    out: Path = args.out.absolute()
    certfile, keyfile = out / CERT_NAME, out / KEY_NAME
    existing = [str(path) for path in (certfile, keyfile) if path.exists()]
    if existing:
        print(
            f"error: {' and '.join(existing)} already exist: remove them first, or choose "
            "another --out folder",
            file=sys.stderr,
        )
        return 1
    names = with_local_names(args.host)
    key = new_key()
    certificate = server_certificate(key, names)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_private(keyfile, key_pem(key))
        certfile.write_bytes(certificate_pem(certificate))
    except OSError as error:
        print(f"error: cannot write to {out}: {error.strerror}", file=sys.stderr)
        return 1
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex(":").upper()
    print(
        f"wrote {keyfile} (private key, readable by you only)\n"
        f"wrote {certfile} (self-signed, valid {SERVER_CERTIFICATE_DAYS} days for "
        f"{', '.join(names)})\n"
        f"SHA-256 fingerprint: {fingerprint}\n"
        "\n"
        "Add to the configuration file:\n"
        "\n"
        "server:\n"
        "  tls:\n"
        f"    certfile: {json.dumps(str(certfile))}\n"
        f"    keyfile: {json.dumps(str(keyfile))}\n"
        "\n"
        "Browsers warn about a self-signed certificate until it is trusted: import "
        f"{CERT_NAME} into the trust store of the machines that use Pulse (check the "
        "fingerprint), or replace both files with a certificate your CA signs."
    )
    return 0
