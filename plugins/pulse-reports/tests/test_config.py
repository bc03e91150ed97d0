"""The ``reports`` section through ``pulse check``: the users' block as written, and every
mistake reported with its YAML line and the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pulse_core.config import ConfigError
from pulse_core.testing.installation import installed_pulse

from .conftest import USERS_BLOCK, site_yaml, write_config


def pulse_check(folder: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = write_config(folder, text)
    return subprocess.run(
        [sys.executable, "-m", "pulse_core.cli", "check", "--config", str(path)],
        capture_output=True, text=True, cwd=folder, timeout=60,
    )


def line_of(text: str, fragment: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_users_block_is_valid_as_written(tmp_path: Path) -> None:
    result = pulse_check(tmp_path, site_yaml())
    assert result.returncode == 0, result.stderr
    assert "configuration OK: 5 endpoint(s) in 3 group(s)" in result.stdout


def test_each_mistake_is_reported_with_its_line(tmp_path: Path) -> None:
    block = (
        USERS_BLOCK.replace('"0 8 * * *"', '"0 25 * * *"')
        .replace('["admin@company.com"]', '["admin@company.com", "admin.company.com"]')
        .replace("[summary, availability, performance]", "[summary, graphs]")
        .replace("timeRange: 24h", "timeRange: 120d")
        + "    timezone: Europe/Pariss\n"
    )
    text = site_yaml(block)
    result = pulse_check(tmp_path, text)
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert "pulse.yaml is not a valid configuration: 5 errors" in errors[0]
    expected = {
        "0 25 * * *": "reports[0].schedule: '0 25 * * *' is not a valid cron expression",
        "admin.company.com": "reports[0].recipients[1]: 'admin.company.com' is not an email address",
        "graphs": "reports[0].content.sections[1]: must be 'summary', 'availability', "
        "'performance', 'outages' or 'endpoints'",
        "120d": "reports[0].content.timeRange: time range 120d is outside 1h .. 90d",
        "Pariss": "reports[0].timezone: unknown time zone 'Europe/Pariss'; did you mean 'Europe/Paris'?",
    }
    for fragment, message in expected.items():
        line = line_of(text, fragment)
        assert any(
            f"pulse.yaml:{line}:" in error and message in error for error in errors
        ), (fragment, errors)


def test_a_schedule_needs_five_fields(tmp_path: Path) -> None:
    result = pulse_check(tmp_path, site_yaml(USERS_BLOCK.replace('"0 8 * * *"', '"0 8 * * * *"')))
    assert result.returncode == 1
    assert "a schedule is five cron fields" in result.stderr
    assert "found 6" in result.stderr


def test_groups_and_endpoints_must_exist(tmp_path: Path) -> None:
    text = site_yaml(USERS_BLOCK.replace("endpoints: all", "endpoints: [plant, Router 1, Routr 2]"))
    result = pulse_check(tmp_path, text)
    assert result.returncode == 1
    line = line_of(text, "Routr 2")
    assert (
        f"pulse.yaml:{line}:" in result.stderr
        and "reports[0].content.endpoints[2]: no group id or endpoint name is 'Routr 2'; "
        "did you mean 'Router 2'?" in result.stderr
    ), result.stderr
    assert "endpoints[0]" not in result.stderr and "endpoints[1]" not in result.stderr


def test_without_an_email_notifier_the_report_is_refused(tmp_path: Path) -> None:
    text = site_yaml(email_notifiers=())
    result = pulse_check(tmp_path, text)
    assert result.returncode == 1
    line = line_of(text, "- name: Daily Network Summary")
    assert f"pulse.yaml:{line}:" in result.stderr
    assert "reports are sent by email through an email notifier, and notifiers has no email entry" in result.stderr


def test_with_several_email_notifiers_via_names_one(tmp_path: Path) -> None:
    several = pulse_check(tmp_path, site_yaml(email_notifiers=("mail", "night-mail")))
    assert several.returncode == 1
    assert "several email notifiers (mail, night-mail)" in several.stderr
    assert "via: <notifier name>" in several.stderr

    chosen = site_yaml(USERS_BLOCK + "    via: night-mail\n", ("mail", "night-mail"))
    assert pulse_check(tmp_path, chosen).returncode == 0

    unknown = site_yaml(USERS_BLOCK + "    via: nite-mail\n", ("mail", "night-mail"))
    result = pulse_check(tmp_path, unknown)
    assert result.returncode == 1
    assert (
        "reports[0].via: no email notifier is called 'nite-mail' (email notifiers: mail, "
        "night-mail)" in result.stderr
    )


def test_report_names_are_unique(tmp_path: Path) -> None:
    second = USERS_BLOCK.split("\n", 1)[1]
    result = pulse_check(tmp_path, site_yaml(USERS_BLOCK + second))
    assert result.returncode == 1
    assert "reports[1].name: another report is called 'Daily Network Summary'" in result.stderr


def test_the_config_loader_reports_the_same_line(tmp_path: Path) -> None:
    """Pulse's start-up and the API's configuration changes load through the same loader."""
    text = site_yaml(USERS_BLOCK.replace('"admin@company.com"', '"admin at company"'))
    with pytest.raises(ConfigError) as raised:
        installed_pulse().read_config(write_config(tmp_path, text))
    message = str(raised.value)
    assert f"pulse.yaml:{line_of(text, 'admin at company')}:" in message
    assert "reports[0].recipients[0]: 'admin at company' is not an email address" in message
