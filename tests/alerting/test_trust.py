"""``ca_file`` (in ``outbound`` and in a notifier) as the loader checks it, a private CA
trusted through a running Pulse, and a refused certificate as the API shows it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from pulse_core.contract.trust import read_ca_file
from pulse_core.app import load_plugins
from pulse_core.config import ConfigError, load_config
from pulse_core.config.errors import ConfigIssue
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.notifier_conformance import LOOPBACK_OUTBOUND, one_target_yaml
from pulse_core.testing.notifier_tls import RECEIVER_NAME, https_receiver
from pulse_core.testing.receivers import Receiver
from pulse_core.testing.server import running_pulse
from pulse_core.testing.tls import TestCA
from pulse_core.web.api.integrations import short_status

#: A line no error message may repeat: it stands for whatever a named file holds.
CONTENTS = "root:$6$not-a-certificate-but-a-secret:19000:0:99999:7:::"


def load_issues(text: str) -> list[ConfigIssue]:
    registries = load_plugins().registries
    with pytest.raises(ConfigError) as raised:
        load_config(text, probes=registries.probes, sections=registries.config_sections)
    return raised.value.issues


def lines_with(text: str, word: str) -> list[int]:
    return [number for number, line in enumerate(text.splitlines(), 1) if word in line]


def config_text(outbound_ca_file: str, notifier_ca_file: str) -> str:
    document = {
        "version": 1,
        "groups": [{"id": "plant", "name": "Plant"}],
        "targets": [{"type": "tcp", "host": "127.0.0.1", "port": 502, "group": "plant"}],
        "outbound": {**LOOPBACK_OUTBOUND, "ca_file": outbound_ca_file},
        "notifiers": [
            {
                "name": "plant-hooks",
                "webhook": {"url": "https://127.0.0.1:8443/hooks", "ca_file": notifier_ca_file},
            }
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("missing.pem", "cannot read {path}: No such file or directory"),
        ("secret.txt", "{path} holds no PEM certificate"),
        ("folder", "cannot read {path}: not a regular file"),
    ],
)
def test_a_bad_ca_file_is_a_config_error_at_its_line_without_the_contents(
    tmp_path: Path, name: str, expected: str
) -> None:
    (tmp_path / "secret.txt").write_text(CONTENTS + "\n")
    (tmp_path / "folder").mkdir()
    path = str(tmp_path / name)
    text = config_text(path, path)
    issues = load_issues(text)
    assert [issue.path for issue in issues] == ["outbound.ca_file", "notifiers[0].webhook.ca_file"]
    assert [issue.line for issue in issues] == lines_with(text, "ca_file:")
    for issue in issues:
        assert issue.message.startswith(expected.format(path=path))
        assert CONTENTS not in issue.message


def test_a_ca_file_is_an_absolute_path(tmp_path: Path) -> None:
    ca = TestCA(tmp_path)
    relative = os.path.relpath(ca.ca_file)
    (issue,) = load_issues(config_text(str(ca.ca_file), relative))
    assert issue.path == "notifiers[0].webhook.ca_file"
    assert issue.message == "must be an absolute path, e.g. /etc/pulse/private-ca.pem"


def test_only_the_certificates_of_a_file_are_taken(tmp_path: Path) -> None:
    """A file that holds a key beside its certificate gives the certificate alone."""
    ca = TestCA(tmp_path)
    files = ca.issue(["hooks.plant.example"])
    mixed = tmp_path / "mixed.pem"
    mixed.write_bytes(files.keyfile.read_bytes() + ca.ca_file.read_bytes())
    bundle = read_ca_file(str(mixed))
    assert bundle.pem == ca.ca_file.read_text()
    assert "PRIVATE KEY" not in bundle.pem


async def test_outbound_ca_file_lets_a_running_pulse_reach_a_private_receiver(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    ca = TestCA(tmp_path / "ca", "Plant private CA")
    with https_receiver(Receiver(), ca.issue([RECEIVER_NAME], stem="hooks")) as receiver:
        notifiers = [{"name": "plant-hooks", "webhook": {"url": receiver.url + "/hooks"}}]
        outbound = {**LOOPBACK_OUTBOUND, "ca_file": str(ca.ca_file)}
        text = one_target_yaml(tcp_listener.port, notifiers, outbound=outbound)
        async with running_pulse(text, tmp_path):
            await tcp_listener.stop()
            (request,) = await receiver.wait_for_requests(1)
    assert request.json()["status"] == "offline"
    assert receiver.handshake_failures == []


def test_a_refused_certificate_is_shown_whole_whatever_its_subject_says() -> None:
    """The subject is the receiver's to choose: one reading like an HTTP status must not cut
    Pulse's reason short."""
    text = (
        "hooks.plant.example:443: certificate verify failed: unable to get local issuer "
        "certificate for CN=HTTP 404 Not Found; set ca_file to the CA that signs it"
    )
    assert short_status(text) == text
    assert short_status("HTTP 400 Bad Request: the receiver's words") == "HTTP 400 Bad Request"
