"""pulse.service is a unit systemd accepts without a single warning, stays hardened, and
starts Pulse with arguments its command line understands."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pulse_core.cli import build_parser

UNIT = Path(__file__).parents[1] / "pulse.service"
INSTALLED_PULSE = "/opt/pulse/.venv/bin/pulse"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)


def service_section() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(UNIT.read_text())
    return parser["Service"]


def unit_here(tmp_path: Path) -> Path:
    """The unit with ExecStart aimed at this checkout's ``pulse``: ``verify`` refuses a
    command that does not exist, and /opt/pulse is where the README installs, not here."""
    text = UNIT.read_text()
    assert INSTALLED_PULSE in text
    copy = tmp_path / "pulse.service"
    copy.write_text(text.replace(INSTALLED_PULSE, str(Path(sys.executable).with_name("pulse"))))
    return copy


@needs_systemd
def test_systemd_accepts_the_unit_without_warnings(tmp_path: Path) -> None:
    verified = subprocess.run(
        [str(SYSTEMD_ANALYZE), "verify", str(unit_here(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout + verified.stderr == ""  # an unknown key is only a warning


@needs_systemd
def test_the_unit_stays_hardened(tmp_path: Path) -> None:
    """systemd's own exposure score (0 = locked down, 10 = unprotected); 2 is "OK"."""
    report = subprocess.run(
        [str(SYSTEMD_ANALYZE), "security", "--offline=true", str(unit_here(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    score = re.search(r"Overall exposure level for pulse\.service: ([\d.]+)", report)
    assert score is not None, report
    assert float(score.group(1)) <= 2.0, report


def test_the_service_runs_pulse_as_its_command_line_expects() -> None:
    service = service_section()
    command = shlex.split(service["ExecStart"])
    assert command[0] == INSTALLED_PULSE
    arguments = build_parser().parse_args(command[1:])
    assert (arguments.command, str(arguments.config)) == ("run", "/etc/pulse/pulse.yaml")
    assert service["Environment"] == "PULSE_DATA_DIR=%S/pulse"
    assert service["StateDirectory"] == "pulse"
    assert (service["User"], service["AmbientCapabilities"]) == ("pulse", "CAP_NET_RAW")
    assert service["ReadWritePaths"] == "/etc/pulse"  # where an applied YAML is written
