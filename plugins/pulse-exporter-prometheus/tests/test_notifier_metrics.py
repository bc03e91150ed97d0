"""Notifier deliveries reach /api/metrics: a real status change, a real webhook receiver."""

from __future__ import annotations

import json
from pathlib import Path

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.receivers import Receiver, Reply
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually


def config(plc_port: int, receiver: Receiver) -> str:
    return json.dumps({
        "version": 1,
        "defaults": {"interval_seconds": 1, "timeout_ms": 500, "retries": 0},
        "groups": [{"id": "press-shop", "name": "Press shop"}],
        "targets": [{"type": "tcp", "name": "press PLC", "host": "127.0.0.1", "port": plc_port,
                     "group": "press-shop"}],
        "notifiers": [{"name": "ops-hook", "webhook": {
            "url": f"{receiver.url}/hook", "body": {"text": "{{endpoint.name}} is {{status}}"}}}],
        "alerting": {"retry_initial": "0.1s", "retry_max": "0.2s"},
        "outbound": {"allow_networks": ["127.0.0.0/8"], "allow_plain_http": True},
    })


def sample(text: str, name: str, outcome: str | None = None) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") and 'notifier="ops-hook"' in line:
            if outcome is None or f'outcome="{outcome}"' in line:
                return float(line.rsplit(" ", 1)[1])
    return None


async def test_deliveries_and_failed_attempts_are_counted_per_notifier(
    tcp_listener: TcpListener, tmp_path: Path
) -> None:
    with Receiver() as receiver:
        receiver.script(Reply(503, "busy"))  # the first attempt fails, the retry succeeds
        async with running_pulse(config(tcp_listener.port, receiver), tmp_path) as server:
            await tcp_listener.stop()  # offline: one notification
            await receiver.wait_for_requests(2, timeout_s=20)

            async def metrics() -> str | None:
                async with server.client(authenticated=False) as client:
                    text = (await client.get("/api/metrics")).text
                return text if sample(text, "pulse_notifications_total", "delivered") else None

            text = await eventually(metrics, timeout_s=10)
    assert sample(text, "pulse_notifications_total", "delivered") == 1
    assert sample(text, "pulse_notifications_total", "failed_attempt") == 1
    assert sample(text, "pulse_notifications_total", "dead") == 0
    assert sample(text, "pulse_notifications_pending") == 0


async def test_every_family_pulse_exports_is_documented_in_the_readme(
    tcp_listener: TcpListener, tmp_path: Path
) -> None:
    """With a notifier configured, so its families are in the scrape too."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    with Receiver() as receiver:
        async with running_pulse(config(tcp_listener.port, receiver), tmp_path) as server:
            async with server.client(authenticated=False) as client:
                text = (await client.get("/api/metrics")).text
    families = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    assert "pulse_notifications_total" in families
    undocumented = sorted(name for name in families if f"`{name}" not in readme)
    assert undocumented == []
