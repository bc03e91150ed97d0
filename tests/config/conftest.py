"""Probe classes shaped like the real icmp, tcp and http plugins, and a loader bound to them.

The loader reads only a probe's class attributes (type name, option models, port rule,
identity keys), so these classes carry those and nothing that sends packets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from pulse_core.config import ConfigError, PulseConfig, load_config
from pulse_core.probe import Probe


class IcmpOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    payload_bytes: int = Field(56, ge=0, le=1472)


class HttpOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    http_path: str = "/"
    http_match: str | None = None


class HttpDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agent: str = "Pulse"
    expect_text: str | None = None


class IcmpProbe(Probe):
    type_name = "icmp"
    target_options = IcmpOptions


class TcpProbe(Probe):
    type_name = "tcp"
    port_required = True


class HttpProbe(Probe):
    type_name = "http"
    target_options = HttpOptions
    defaults_options = HttpDefaults
    identity_options = ("http_path",)


PROBES: dict[str, type[Probe]] = {
    probe.type_name: probe for probe in (IcmpProbe, TcpProbe, HttpProbe)
}

MINIMAL = """\
version: 1
defaults: {}
groups:
  - id: plant
    name: Plant
targets:
  - type: icmp
    group: plant
    host: 10.0.0.5
"""

Loader = Callable[..., PulseConfig]


@pytest.fixture
def minimal() -> str:
    """The smallest valid file; tests append targets to it or replace parts of it."""
    return MINIMAL


@pytest.fixture
def probes() -> dict[str, type[Probe]]:
    """The installed probe types, as the plugin manager hands them to the loader."""
    return dict(PROBES)


@pytest.fixture
def load(probes: dict[str, type[Probe]]) -> Loader:
    """``load_config`` with the test probes and an empty environment unless told otherwise."""

    def load(text: str, **keywords: Any) -> PulseConfig:
        keywords.setdefault("probes", probes)
        keywords.setdefault("environ", {})
        return load_config(text, **keywords)

    return load


@pytest.fixture
def load_error(load: Loader) -> Callable[..., ConfigError]:
    """The :class:`ConfigError` that loading ``text`` raises (fails the test if none is raised)."""

    def load_error(text: str, **keywords: Any) -> ConfigError:
        with pytest.raises(ConfigError) as caught:
            load(text, **keywords)
        return caught.value

    return load_error


@pytest.fixture
def messages(load_error: Callable[..., ConfigError]) -> Callable[..., dict[str, str]]:
    """``{path: message}`` of every issue loading ``text`` reports, for compact assertions."""

    def messages(text: str, **keywords: Any) -> dict[str, str]:
        return {issue.path: issue.message for issue in load_error(text, **keywords).issues}

    return messages
