"""``pulse notify test NAME`` as a user runs it: a process, a Slack notifier, a Slack-like
receiver that answers ``ok`` once and then ``429`` (it allows one message a minute)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pulse_core.testing.receivers import SlackReceiver

from .conftest import pulse_yaml


def notify_test(config: Path, name: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pulse_core.cli", "notify", "test", name]
    return subprocess.run(
        [*command, "--config", str(config)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_notify_test_sends_through_slack_and_prints_the_answer(tmp_path: Path) -> None:
    slack = SlackReceiver(rate_limit_per_s=1 / 60)
    config = tmp_path / "pulse.yaml"
    notifier = {
        "name": "ops-slack",
        "slack": {
            "webhookUrl": f"{slack.url}/services/T0/B0/secret",
            "channel": "#ops",
        },
    }
    config.write_text(pulse_yaml(9, [notifier]))
    with slack:
        sent = notify_test(config, "ops-slack")
        refused = notify_test(config, "ops-slack")
        unknown = notify_test(config, "ops-slak")

    assert (sent.returncode, sent.stdout) == (0, "ops-slack: HTTP 200 ok\n"), (
        sent.stderr
    )
    (message,) = slack.messages
    assert message["channel"] == "#ops"
    assert message["text"] == "🔴 Test message from Pulse through notifier 'ops-slack'"

    assert refused.returncode == 1
    assert "ops-slack: not delivered (temporary)" in refused.stderr
    assert "429" in refused.stderr and "secret" not in refused.stderr

    assert unknown.returncode == 2
    assert "no notifier is called 'ops-slak' (configured: ops-slack)" in unknown.stderr
