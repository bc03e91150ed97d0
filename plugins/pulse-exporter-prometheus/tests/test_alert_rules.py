"""The shipped Prometheus files are valid for promtool."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]


def promtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *arguments], check=False, capture_output=True, text=True, timeout=60, cwd=REPOSITORY
    )


def test_alert_rules_pass_promtool() -> None:
    checked = promtool("check", "rules", "contrib/prometheus/pulse-rules.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 10 rules found" in checked.stdout


def test_alert_rules_fire_as_intended() -> None:
    tested = promtool("test", "rules", "contrib/prometheus/pulse-rules.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_scrape_configuration_passes_promtool() -> None:
    checked = promtool("check", "config", "config/prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
