"""``metrics.token``: open without it, a bearer token required with it, checked at load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulse_core.app import load_plugins, open_config
from pulse_core.config import ConfigError
from pulse_core.testing.server import running_pulse

TOKEN = "s3cret-scrape-token-0123"


def config(metrics: object | None) -> str:
    document: dict[str, object] = {
        "version": 1,
        "defaults": {"interval_seconds": 60},
        "groups": [{"id": "network", "name": "Network"}],
        "targets": [{"type": "tcp", "host": "127.0.0.1", "port": 9, "group": "network"}],
    }
    if metrics is not None:
        document["metrics"] = metrics
    return json.dumps(document)


async def test_open_without_a_token(tmp_path: Path) -> None:
    async with running_pulse(config(None), tmp_path) as server:
        async with server.client(authenticated=False) as client:
            reply = await client.get("/api/metrics")
    assert reply.status_code == 200 and "pulse_endpoint_status" in reply.text


async def test_a_configured_token_is_required_as_a_bearer_token(tmp_path: Path) -> None:
    async with running_pulse(config({"token": TOKEN}), tmp_path) as server:
        async with server.client(authenticated=False) as client:
            missing = await client.get("/api/metrics")
            wrong = await client.get("/api/metrics", headers={"Authorization": "Bearer nope"})
            basic = await client.get("/api/metrics", headers={"Authorization": f"Basic {TOKEN}"})
            right = await client.get(
                "/api/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
            )
    for refused in (missing, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "metrics.token" in refused.json()["message"]
    assert right.status_code == 200 and "pulse_endpoint_status" in right.text


@pytest.mark.parametrize(
    ("metrics", "complaint"),
    [({"token": "short"}, "at least 16 characters"), ({"tokn": TOKEN}, "tokn")],
)
def test_bad_metrics_sections_are_reported_at_load(
    tmp_path: Path, metrics: object, complaint: str
) -> None:
    path = tmp_path / "pulse.yaml"
    path.write_text(config(metrics))
    with pytest.raises(ConfigError) as raised:
        open_config(path, load_plugins())
    assert complaint in str(raised.value) and "metrics" in str(raised.value)
