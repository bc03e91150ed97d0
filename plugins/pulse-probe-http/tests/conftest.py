"""Fixtures of the http probe's tests: page servers, a certificate, a silent port.

Certificates are made by the ``openssl`` command once per session (the ``cryptography``
package is not a dependency of Pulse); TLS tests are skipped where it is missing.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the servers module, with --import-mode=importlib

from http_test_servers import HTTPS_PORT_TEST_ADDRESS, PageServer, StartPageServer  # noqa: E402


@pytest.fixture
def start_page_server() -> Iterator[StartPageServer]:
    """``start_page_server(host="127.0.0.1", port=0, tls=None)``: a running PageServer,
    shut down after the test."""
    started: list[tuple[PageServer, threading.Thread]] = []

    def start(
        host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
    ) -> PageServer:
        server = PageServer((host, port), tls)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def page_server(start_page_server: StartPageServer) -> PageServer:
    """A plain-http PageServer on 127.0.0.1."""
    return start_page_server()


@pytest.fixture(scope="session")
def self_signed_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(certificate, key) of a self-signed certificate for 127.0.0.1, the https-port test
    address and ``localhost``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("TLS tests need the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-nodes",
            "-days",
            "2",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=pulse-test",
            "-addext",
            f"subjectAltName=IP:127.0.0.1,IP:{HTTPS_PORT_TEST_ADDRESS},DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def server_tls(self_signed_cert: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed_cert)
    return context


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel completes the handshake into a large
    backlog) but never reads a request nor answers one."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield listener.getsockname()[1]
