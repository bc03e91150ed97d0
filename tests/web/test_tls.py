"""Pulse serving HTTPS (``server.tls``) on loopback, against a CA made in the test.

Every client trusts only that CA, so each test goes through real certificate verification:
REST, Prometheus, Grafana, SSE and WebSocket over TLS, the session cookie and HSTS, the
plain HTTP redirect, the configuration's checks of the files, ``pulse tls self-signed``, and
Chromium loading the dashboard.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import AsyncIterator

import httpx
import pytest
import pytest_asyncio
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from pulse_core.app import load_plugins, open_config
from pulse_core.config import ConfigError
from pulse_core.config.model import ServerSection, TlsSection
from pulse_core.testing.lab import NETNS_SKIP_REASON, run_isolated
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.tls import TestCA
from pulse_core.web.auth.sessions import COOKIE_NAME
from pulse_core.web.https import plain_http_warning

PULSE = Path(sys.executable).parent / "pulse"
PASSWORD = "correct horse battery"
REGISTRATION = {
    "username": "admin",
    "email": "admin@example.org",
    "password": PASSWORD,
    "confirmPassword": PASSWORD,
}


#: a small site, served over plain HTTP as it stands
PLAIN_SITE = """
version: 1
defaults: {interval_seconds: 3600}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant, name: PLC}]
push: {heartbeat_seconds: 1}
"""


def tls_config(redirect_http_port: int | None = None, folder: str = "pki") -> str:
    """The small site served over TLS with the files under ``folder``, written relative to
    the configuration file (which ``running_pulse`` writes to ``tmp_path``)."""
    redirect = f", redirect_http_port: {redirect_http_port}" if redirect_http_port else ""
    return PLAIN_SITE + f"""server:
  tls: {{certfile: "{folder}/server-cert.pem", keyfile: "{folder}/server-key.pem"{redirect}}}
"""


@pytest.fixture
def ca(tmp_path: Path) -> TestCA:
    authority = TestCA(tmp_path / "pki")
    authority.issue()
    return authority


@pytest_asyncio.fixture
async def server(ca: TestCA, tmp_path: Path) -> AsyncIterator[RunningPulse]:
    async with running_pulse(tls_config(), tmp_path, ca.ca_file) as running:
        yield running


def trusting(ca: TestCA) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca.ca_file)


# --- every surface over TLS ------------------------------------------------------------------


async def test_rest_metrics_and_grafana_answer_over_tls(server: RunningPulse) -> None:
    assert server.base_url.startswith("https://127.0.0.1:")
    async with server.client() as client:
        status = await client.get("/api/status/live")
        metrics = await client.get("/api/metrics")
        grafana = await client.get("/api/grafana/")
    assert status.status_code == 200, status.text
    assert [item["endpoint"]["name"] for item in status.json()["items"]] == ["PLC"]
    assert metrics.status_code == 200 and "pulse_" in metrics.text
    assert grafana.status_code == 200, grafana.text
    for response in (status, metrics, grafana):
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


async def test_sse_streams_over_tls(server: RunningPulse) -> None:
    async with server.client(timeout=10) as client:
        async with client.stream("GET", "/api/events/status") as response:
            assert response.status_code == 200
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
            lines = response.aiter_lines()
            data = await anext(line async for line in lines if line.startswith("data:"))
    assert json.loads(data.removeprefix("data:"))["type"] == "snapshot"


async def test_websocket_with_an_api_key_over_tls(server: RunningPulse, ca: TestCA) -> None:
    url = server.base_url.replace("https://", "wss://") + "/api/ws/status"
    async with connect(url, ssl=trusting(ca), additional_headers=server.auth_headers) as socket:
        first = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert first["type"] == "snapshot"
    assert [item["name"] for item in first["data"]["items"]] == ["PLC"]


async def test_a_client_that_trusts_another_ca_is_refused_quietly(
    server: RunningPulse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = TestCA(tmp_path / "other-pki", "Some other CA")
    with caplog.at_level(logging.DEBUG):
        async with httpx.AsyncClient(verify=trusting(stranger)) as client:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(server.base_url + "/api/health")
        async with server.client() as client:
            assert (await client.get("/api/health")).status_code == 200
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


async def test_plain_http_to_the_tls_port_fails_and_the_server_logs_nothing_alarming(
    server: RunningPulse, caplog: pytest.LogCaptureFixture
) -> None:
    plain = server.base_url.replace("https://", "http://")
    with caplog.at_level(logging.DEBUG):
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get(plain + "/api/health")
        async with server.client() as client:  # the server goes on serving
            assert (await client.get("/api/health")).status_code == 200
    alarming = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert alarming == []


# --- the session cookie and HSTS -------------------------------------------------------------


async def test_signing_in_over_tls_sets_a_secure_cookie(server: RunningPulse) -> None:
    async with server.client(authenticated=False) as browser:
        registered = await browser.post("/api/auth/register", json=REGISTRATION)
        login = await browser.post(
            "/api/auth/login", json={"username": "admin", "password": PASSWORD}
        )
        session = await browser.get("/api/auth/session")
    assert registered.status_code in (200, 201), registered.text
    assert login.status_code == 200, login.text
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "; Secure" in cookie and "HttpOnly" in cookie
    assert login.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert session.json()["name"] == "admin"  # the Secure cookie is sent back over https


async def test_over_tls_a_plain_page_of_the_same_host_and_port_is_cross_site(
    server: RunningPulse,
) -> None:
    """Only someone between the browser and Pulse can serve a plain page that claims Pulse's
    host and port while Pulse itself speaks TLS there."""
    host = server.base_url.split("://", 1)[1]
    async with server.client(authenticated=False) as browser:
        registered = await browser.post("/api/auth/register", json=REGISTRATION)
        await browser.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        forged = await browser.post(
            "/api/auth/logout", headers={"Origin": f"http://{host}"}
        )
        own = await browser.post("/api/auth/logout", headers={"Origin": f"https://{host}"})
    assert registered.status_code == 201, registered.text
    assert forged.status_code == 403 and "cross-site" in forged.json()["message"]
    assert own.status_code == 204


async def test_plain_http_carries_no_hsts(tmp_path: Path) -> None:
    async with running_pulse(PLAIN_SITE, tmp_path) as server:
        async with server.client() as client:
            response = await client.get("/api/status/live")
    assert server.base_url.startswith("http://")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


async def test_turning_tls_off_through_the_api_waits_for_a_restart(
    server: RunningPulse,
) -> None:
    text = server.config_path.read_text()
    plain = yaml.safe_load(text)
    del plain["server"]["tls"]
    result = await server.pulse.apply_config(yaml.safe_dump(plain), dry_run=True)
    same_files = text.replace("interval_seconds: 3600", "interval_seconds: 1800")
    unchanged = await server.pulse.apply_config(same_files, dry_run=True)
    assert result.warnings == ("server.tls takes effect when Pulse restarts",)
    assert unchanged.changed and unchanged.warnings == ()


# --- the plain HTTP redirect -----------------------------------------------------------------


async def test_the_redirect_port_sends_every_request_to_https(
    ca: TestCA, tmp_path: Path
) -> None:
    redirect_port = free_tcp_port()
    async with running_pulse(tls_config(redirect_port), tmp_path, ca.ca_file) as server:
        plain = f"http://127.0.0.1:{redirect_port}"
        async with httpx.AsyncClient() as client:
            get = await client.get(plain + "/api/status/live?group=plant")
            post = await client.post(plain + "/api/auth/login", json={})
            by_name = await client.get(
                f"http://localhost:{redirect_port}/", headers={"Host": f"localhost:{redirect_port}"}
            )
        async with server.client(authenticated=False) as client:
            followed = await client.get(plain + "/api/health", follow_redirects=True)
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"ws://127.0.0.1:{redirect_port}/api/ws/status"):
                pass
    https_port = server.pulse.config.server.port
    assert get.status_code == 308
    assert get.headers["Location"] == f"https://127.0.0.1:{https_port}/api/status/live?group=plant"
    assert post.status_code == 308  # a 308 keeps the method and body
    assert post.headers["Location"] == f"https://127.0.0.1:{https_port}/api/auth/login"
    assert by_name.headers["Location"] == f"https://localhost:{https_port}/"
    assert "Strict-Transport-Security" not in get.headers
    assert followed.status_code == 200 and str(followed.url).startswith("https://")
    assert "Set-Cookie" not in get.headers
    assert refused.value.response.status_code == 403  # no WebSocket over plain HTTP


# --- the configuration's checks of the files -------------------------------------------------


def written_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pulse.yaml"
    path.write_text(text)
    return path


def load_errors(path: Path) -> str:
    with pytest.raises(ConfigError) as error:
        open_config(path, load_plugins())
    return str(error.value)


def test_relative_tls_paths_are_read_from_the_configuration_folder(
    ca: TestCA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir("/")
    config = open_config(written_config(tmp_path, tls_config()), load_plugins())
    assert config.server.tls is not None
    assert Path(config.server.tls.certfile) == tmp_path / "pki" / "server-cert.pem"
    assert Path(config.server.tls.keyfile) == tmp_path / "pki" / "server-key.pem"


def test_tls_paths_may_come_from_the_environment(
    ca: TestCA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_TLS_DIR", str(tmp_path / "pki"))
    path = written_config(tmp_path, tls_config(folder="${PULSE_TLS_DIR}"))
    config = open_config(path, load_plugins())
    assert config.server.tls is not None
    assert config.server.tls.keyfile == str(tmp_path / "pki" / "server-key.pem")


def test_a_missing_key_names_the_file_and_the_fix(ca: TestCA, tmp_path: Path) -> None:
    (tmp_path / "pki" / "server-key.pem").unlink()
    errors = load_errors(written_config(tmp_path, tls_config()))
    assert re.search(
        r"pulse\.yaml:\d+:\d+: server\.tls\.keyfile: cannot read .*server-key\.pem: "
        r"No such file or directory; give the path of the certificate's PEM private key",
        errors,
    ), errors


def test_a_device_or_a_folder_is_not_read(ca: TestCA, tmp_path: Path) -> None:
    """Through the API an administrator could name any path: /dev/zero must not be read."""
    text = tls_config().replace('"pki/server-cert.pem"', "/dev/zero").replace(
        '"pki/server-key.pem"', str(tmp_path)
    )
    errors = load_errors(written_config(tmp_path, text))
    assert "server.tls.certfile: cannot read /dev/zero: not a regular file" in errors
    assert f"server.tls.keyfile: cannot read {tmp_path}: not a regular file" in errors


def test_a_key_of_another_certificate_is_refused(ca: TestCA, tmp_path: Path) -> None:
    other = ca.issue(stem="other")
    (tmp_path / "pki" / "server-key.pem").write_bytes(other.keyfile.read_bytes())
    errors = load_errors(written_config(tmp_path, tls_config()))
    assert "server.tls.keyfile:" in errors
    assert "server-key.pem is not the key of the certificate in" in errors


def test_an_encrypted_key_is_refused_rather_than_asked_for(ca: TestCA, tmp_path: Path) -> None:
    key_file = tmp_path / "pki" / "server-key.pem"
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    ))
    errors = load_errors(written_config(tmp_path, tls_config()))
    assert "server-key.pem is encrypted with a passphrase, which Pulse cannot ask for" in errors


def test_a_file_that_is_not_a_certificate_is_refused(ca: TestCA, tmp_path: Path) -> None:
    (tmp_path / "pki" / "server-cert.pem").write_text("not a certificate\n")
    errors = load_errors(written_config(tmp_path, tls_config()))
    assert "server.tls.certfile:" in errors and "holds no PEM certificate" in errors


def test_tls_refuses_cookies_without_secure_and_a_shared_redirect_port() -> None:
    tls = {"certfile": "cert.pem", "keyfile": "key.pem"}
    with pytest.raises(ValueError, match="secure_cookies: false cannot go with tls"):
        ServerSection.model_validate({"tls": tls, "secure_cookies": False})
    with pytest.raises(ValueError, match="give the plain HTTP redirect a port of its own"):
        ServerSection.model_validate({"port": 8443, "tls": {**tls, "redirect_http_port": 8443}})


def test_pulse_run_with_a_bad_key_is_one_message_not_a_traceback(
    ca: TestCA, tmp_path: Path
) -> None:
    (tmp_path / "pki" / "server-key.pem").unlink()
    path = written_config(tmp_path, tls_config())
    run = subprocess.run(
        [PULSE, "run", "--config", path], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 1
    assert "server.tls.keyfile: cannot read" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_busy_redirect_port_is_one_message_not_a_traceback(ca: TestCA, tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        document = yaml.safe_load(tls_config(busy))
        document["server"].update(host="127.0.0.1", port=free_tcp_port())
        document["storage"] = {"url": f"sqlite:///{tmp_path / 'pulse.db'}"}
        path = written_config(tmp_path, yaml.safe_dump(document))
        run = subprocess.run(
            [PULSE, "run", "--config", path], capture_output=True, text=True, timeout=60
        )
    assert run.returncode == 1
    assert f"port {busy} is in use" in run.stderr
    assert "set server.tls.redirect_http_port to a free port, or remove it" in run.stderr
    assert "Traceback" not in run.stderr


# --- the warning for plain HTTP --------------------------------------------------------------


def test_plain_http_on_a_network_address_warns_and_says_how_to_turn_on_tls() -> None:
    warning = plain_http_warning(ServerSection(host="0.0.0.0", port=8080))
    assert warning is not None
    assert "plain HTTP on 0.0.0.0:8080" in warning
    assert "server.tls" in warning and "pulse tls self-signed" in warning
    tls = TlsSection(certfile="cert.pem", keyfile="key.pem")
    quiet = [
        ServerSection(host="0.0.0.0", tls=tls),
        ServerSection(host="0.0.0.0", secure_cookies=True),  # a proxy ends TLS in front
        ServerSection(host="127.0.0.1"),
        ServerSection(host="::1"),
        ServerSection(host="::ffff:127.0.0.1"),
        ServerSection(host="localhost"),
    ]
    assert [plain_http_warning(server) for server in quiet] == [None] * len(quiet)


#: run in a network namespace of its own: ``pulse run`` until it serves, then SIGTERM
SERVE_ON_EVERY_ADDRESS = """
import os, signal, socket, sys, threading, time
from pulse_core.cli import main

def stop_once_serving(port):
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=stop_once_serving, args=(int(sys.argv[2]),), daemon=True).start()
sys.exit(main(["run", "--config", sys.argv[1]]))
"""


@pytest.mark.netns
@pytest.mark.skipif(bool(NETNS_SKIP_REASON), reason=NETNS_SKIP_REASON or "")
def test_pulse_run_on_every_address_without_tls_warns(tmp_path: Path) -> None:
    """On 0.0.0.0, in a network namespace that has only loopback, so nothing outside the
    test can reach it."""
    document = yaml.safe_load(PLAIN_SITE)
    document["server"] = {"host": "0.0.0.0", "port": 8080}
    document["storage"] = {"url": f"sqlite:///{tmp_path / 'pulse.db'}"}
    path = written_config(tmp_path, yaml.safe_dump(document))
    ran = run_isolated(SERVE_ON_EVERY_ADDRESS, str(path), "8080")
    assert ran.returncode == 0, ran.stderr
    warnings = [line for line in ran.stderr.splitlines() if " WARNING " in line]
    assert len(warnings) == 1, ran.stderr
    assert "pulse.web: serving sign-in and API keys over plain HTTP on 0.0.0.0:8080" in warnings[0]
    assert "Turn on TLS with server.tls" in warnings[0]
    assert "Traceback" not in ran.stderr


async def test_serving_on_loopback_logs_no_plain_http_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="pulse.web"):
        async with running_pulse(PLAIN_SITE, tmp_path):
            pass
    assert not [r for r in caplog.records if "plain HTTP" in r.getMessage()]


async def test_a_certificate_near_its_end_is_warned_about_and_still_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ca = TestCA(tmp_path / "pki")
    ca.issue(days=10)
    with caplog.at_level(logging.WARNING, logger="pulse.web"):
        async with running_pulse(tls_config(), tmp_path, ca.ca_file) as server:
            async with server.client() as client:
                assert (await client.get("/api/health")).status_code == 200
    warnings = [r.getMessage() for r in caplog.records if r.name == "pulse.web"]
    assert len(warnings) == 1, warnings
    assert re.fullmatch(
        r"the certificate in .*/pki/server-cert\.pem expires on \d{4}-\d{2}-\d{2} "
        r"\(in 9 days\): replace it and restart Pulse",
        warnings[0],
    ), warnings


async def test_a_certificate_far_from_its_end_is_not_warned_about(
    ca: TestCA, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="pulse.web"):
        async with running_pulse(tls_config(), tmp_path, ca.ca_file):
            pass
    assert [r.getMessage() for r in caplog.records if r.name == "pulse.web"] == []


# --- pulse tls self-signed -------------------------------------------------------------------


def test_self_signed_files_serve_https_from_pulse_run(tmp_path: Path) -> None:
    out = tmp_path / "tls"
    made = subprocess.run(
        [PULSE, "tls", "self-signed", "--out", out, "--host", "pulse.plant.test"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    certfile, keyfile = out / "pulse-cert.pem", out / "pulse-key.pem"
    assert os.stat(keyfile).st_mode & 0o777 == 0o600
    certificate = x509.load_pem_x509_certificate(certfile.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {"pulse.plant.test", "localhost"}
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}

    pasted = made.stdout[made.stdout.index("server:\n"):made.stdout.index("\n\nBrowsers")]
    server = yaml.safe_load(pasted)["server"]
    port = free_tcp_port()
    server.update(host="127.0.0.1", port=port)
    document = yaml.safe_load(PLAIN_SITE)
    document.update(server=server, storage={"url": f"sqlite:///{tmp_path / 'pulse.db'}"})
    path = written_config(tmp_path, yaml.safe_dump(document))
    running = subprocess.Popen(
        [PULSE, "run", "--config", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = _get_when_serving(f"https://localhost:{port}/api/health", certfile)
    finally:
        running.send_signal(signal.SIGTERM)
        log, _ = running.communicate(timeout=30)
    assert health.status_code == 200, log
    assert health.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert f"on https://localhost:{port}/" in log
    assert "Traceback" not in log and "plain HTTP" not in log

    again = subprocess.run(
        [PULSE, "tls", "self-signed", "--out", out], capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 1
    assert "already exist: remove them first, or choose another --out folder" in again.stderr


def test_self_signed_refuses_a_name_that_is_no_host(tmp_path: Path) -> None:
    made = subprocess.run(
        [PULSE, "tls", "self-signed", "--out", tmp_path / "tls", "--host", "plant gateway"],
        capture_output=True, text=True, timeout=60,
    )
    assert made.returncode == 2
    refusal = "argument --host: 'plant gateway' is neither an IP address nor a host name"
    assert refusal in made.stderr
    assert not (tmp_path / "tls").exists()


def _get_when_serving(url: str, ca_file: Path, timeout_s: float = 30.0) -> httpx.Response:
    """GET ``url`` once the server started by a subprocess accepts connections."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(verify=ssl.create_default_context(cafile=ca_file)) as client:
        while True:
            try:
                return client.get(url)
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
