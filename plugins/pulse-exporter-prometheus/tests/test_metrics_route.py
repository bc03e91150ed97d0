"""``GET /api/metrics`` on a running Pulse: the documented families, both formats, promtool."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from pulse_core.contract import PulseView
from pulse_core.testing.server import RunningPulse

#: the HELP texts of docs/integrations.md
DOCUMENTED_HELP = {
    "pulse_endpoint_status": "Current status of monitoring endpoints (1=online, 0=offline)",
    "pulse_endpoint_response_time": "Response time in milliseconds",
    "pulse_checks": "Total number of monitoring checks performed",
    "pulse_system_uptime": "System uptime in seconds",
}


def endpoint_id(pulse: PulseView, name: str) -> str:
    return next(ep.id for ep in pulse.config.endpoints if ep.name == name)


async def test_text_format_has_the_documented_families_and_passes_promtool(
    exporter_server: RunningPulse, odd_names: tuple[str, ...], promtool_lint: Callable[[bytes], None]
) -> None:
    async with exporter_server.client(authenticated=False) as client:
        reply = await client.get("/api/metrics")
    listener_id = endpoint_id(exporter_server.pulse, "listener")
    endpoint_count = len(exporter_server.pulse.config.endpoints)

    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert reply.headers["content-encoding"] == "gzip"  # httpx asks for it, as Prometheus does
    promtool_lint(reply.content)

    families = {family.name: family for family in parse_text(reply.text)}
    for name, help_text in DOCUMENTED_HELP.items():
        assert families[name].documentation == help_text
    status = families["pulse_endpoint_status"]
    assert status.type == "gauge" and len(status.samples) == endpoint_count
    values = {sample.labels["id"]: sample.value for sample in status.samples}
    assert values[listener_id] == 1.0
    assert sum(values.values()) == 1.0  # everything else is refused or not checked yet
    names = {sample.labels["endpoint"] for sample in status.samples}
    assert set(odd_names) <= names
    assert {"endpoint", "group", "id"} == set(status.samples[0].labels)

    checks = families["pulse_checks"]
    assert checks.type == "counter"
    listener_checks = {
        s.labels["status"]: s.value for s in checks.samples if s.labels["id"] == listener_id
    }
    assert listener_checks["success"] >= 1 and listener_checks["failure"] == 0
    assert {s.name for s in checks.samples} == {"pulse_checks_total"}
    assert families["pulse_system_uptime"].samples[0].value >= 0
    assert "pulse_probe_duration_seconds" in families


async def test_openmetrics_when_asked(exporter_server: RunningPulse) -> None:
    async with exporter_server.client(authenticated=False) as client:
        reply = await client.get(
            "/api/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
    assert reply.headers["content-type"].startswith(
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    )
    assert reply.text.endswith("# EOF\n")
    families = {family.name: family for family in parse_openmetrics(reply.text)}
    assert families["pulse_checks"].type == "counter"
    assert families["pulse_probe_duration_seconds"].type == "histogram"
    twice = [s for s in families["pulse_endpoint_status"].samples if s.labels["endpoint"] == "twice"]
    assert len(twice) == 2 and twice[0].labels["id"] != twice[1].labels["id"]


async def test_operator_metrics_follow_the_running_pulse(exporter_server: RunningPulse) -> None:
    async with exporter_server.client(authenticated=False) as client:
        reply = await client.get("/api/metrics")
    started = exporter_server.pulse.scheduler.stats.started

    families = {family.name: family for family in parse_text(reply.text)}
    for name in (
        "pulse_scheduler_lag_seconds", "pulse_scheduler_lag_max_seconds",
        "pulse_store_queue_depth", "pulse_plugin_load_errors",
    ):
        assert families[name].type == "gauge" and families[name].documentation
    assert 2 <= families["pulse_scheduler_checks_started"].samples[0].value <= started
    assert families["pulse_store_dropped_checks"].samples[0].value == 0
    durations = families["pulse_probe_duration_seconds"].samples
    tcp_count = next(s.value for s in durations if s.name.endswith("_count"))
    assert tcp_count >= 2
    by_status = {s.labels["status"]: s.value for s in families["pulse_endpoints"].samples}
    assert by_status["online"] == 1 and sum(by_status.values()) == len(
        families["pulse_endpoint_status"].samples
    )
