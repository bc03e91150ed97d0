"""Top-level sections claimed by plugins (``pulse_config_sections``)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field


class MetricsSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    path: str = "/api/metrics"
    scrape_token: str | None = None


class SlackSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    webhook_url: str
    min_interval_s: float = Field(1.0, gt=0)


SECTIONS = {"metrics": MetricsSection, "slack": SlackSection}


def test_a_claimed_section_is_validated_by_its_model(load, minimal: str) -> None:
    text = (
        minimal
        + "metrics:\n  scrape_token: ${TOKEN}\nslack:\n  webhook_url: https://hooks.example/x\n"
    )
    config = load(text, sections=SECTIONS, environ={"TOKEN": "t0k"})
    assert config.sections["metrics"] == MetricsSection(scrape_token="t0k")
    assert config.sections["slack"].webhook_url == "https://hooks.example/x"


def test_an_absent_claimed_section_is_not_in_the_result(load, minimal: str) -> None:
    assert load(minimal, sections=SECTIONS).sections == {}


def test_errors_in_a_claimed_section_are_located(load_error, minimal: str) -> None:
    text = minimal + "slack:\n  min_interval_s: 0\n  channel: '#ops'\n"
    issues = load_error(text, sections=SECTIONS).issues
    assert [(issue.path, issue.message, issue.line, issue.column) for issue in issues] == [
        ("slack.webhook_url", "webhook_url is required", 11, 3),
        ("slack.min_interval_s", "must be greater than 0", 11, 19),
        ("slack.channel", "unknown key 'channel'", 12, 3),
    ]


def test_an_unclaimed_section_is_an_error(messages, minimal: str) -> None:
    text = minimal + "slack:\n  webhook_url: https://hooks.example/x\n"
    assert messages(text, sections={"metrics": MetricsSection}) == {
        "slack": "unknown key 'slack': no installed plugin claims it"
    }


def test_a_plugin_cannot_claim_a_core_key(load, minimal: str) -> None:
    with pytest.raises(ValueError, match="plugin sections may not reuse core keys: targets"):
        load(minimal, sections={"targets": MetricsSection})
