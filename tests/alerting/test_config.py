"""The alerting sections as the YAML loader reports them."""

from __future__ import annotations

import pytest
import yaml
from pulse_notify_webhook import WebhookNotifier
from pydantic import ValidationError

from pulse_core.alerting.config import notifiers_section
from pulse_core.app import load_plugins
from pulse_core.config import ConfigError, load_config

BASE = {
    "version": 1,
    "defaults": {},
    "groups": [{"id": "plant", "name": "Plant"}],
    "targets": [{"type": "tcp", "host": "127.0.0.1", "port": 502, "group": "plant"}],
}


def problems(**sections: object) -> list[tuple[str, str]]:
    registries = load_plugins().registries
    with pytest.raises(ConfigError) as raised:
        load_config(
            yaml.safe_dump({**BASE, **sections}),
            probes=registries.probes,
            sections=registries.config_sections,
        )
    return [(issue.path, issue.message) for issue in raised.value.issues]


def installed_types() -> str:
    return ", ".join(sorted(load_plugins().registries.notifiers))


def test_template_mistakes_are_config_errors_with_their_path() -> None:
    notifiers = [
        {
            "name": "jira",
            "webhook": {
                "url": "https://jira.example/rest/api/2/issue",
                "body": {"fields": {"summary": "{{endpoint.nmae}}"}},
            },
        }
    ]
    ((path, message),) = problems(notifiers=notifiers)
    assert path == "notifiers[0].webhook.body.fields.summary"
    assert message.startswith("unknown variable 'endpoint.nmae'")


def test_a_notifier_type_whose_plugin_is_missing_names_the_distribution() -> None:
    section = notifiers_section(lambda: {"webhook": WebhookNotifier})
    with pytest.raises(ValidationError) as raised:
        section.model_validate(
            [{"name": "ops", "slack": {"webhookUrl": "https://hooks.slack.com/x"}}]
        )
    assert raised.value.errors()[0]["msg"] == (
        "notifier type 'slack' is not installed: install pulse-notify-slack"
    )


def test_entry_needs_one_type_and_a_unique_name() -> None:
    hook = {"url": "https://hooks.example/x"}
    assert problems(
        notifiers=[
            {"name": "a"},
            {"name": "b", "webhook": hook},
            {"name": "b", "webhook": hook},
        ]
    ) == [
        ("notifiers[0]", f"needs exactly one notifier type key ({installed_types()}); found none"),
    ]
    assert problems(
        notifiers=[{"name": "b", "webhook": hook}, {"name": "b", "webhook": hook}]
    ) == [
        ("notifiers[1].name", "duplicate notifier name 'b'"),
    ]


def test_alerts_maintenance_and_outbound_are_checked() -> None:
    found = dict(
        problems(
            alerts=[{"notify": [], "repeat_every": "soon"}],
            maintenance=[{"schedule": "0 22 * *", "duration": "4h"}],
            outbound={"allow_networks": ["not-a-net"]},
        )
    )
    assert found["alerts[0].notify"] == "must list at least 1 entry"
    assert (
        found["alerts[0].repeat_every"] == "must be a duration like 90s, 30m, 4h or 1d"
    )
    assert found["maintenance[0].schedule"].startswith("'0 22 * *' must have 5 fields")
    assert (
        found["outbound.allow_networks[0]"]
        == "must be a network like 127.0.0.0/8 or fd00::/8"
    )


def test_two_loads_of_one_text_have_equal_notifier_entries() -> None:
    """An applied configuration is compared with the running one to restart only what
    changed: the entries of two loads must be equal when their text is."""
    registries = load_plugins().registries
    text = yaml.safe_dump(
        {
            **BASE,
            "notifiers": [
                {"name": "ops", "webhook": {"url": "https://127.0.0.1:9/hook"}}
            ],
        }
    )
    first, second = (
        load_config(text, probes=registries.probes, sections=registries.config_sections)
        for _ in range(2)
    )
    assert first.sections["notifiers"] == second.sections["notifiers"]
