"""The running Pulse as plugins see it (``pulse_core.contract.PulseView``): the application
object has every member the view promises, and what it hands out are values."""

from __future__ import annotations

import inspect
import time
from pathlib import Path

from pulse_core.contract import (
    EndpointStatus,
    LiveStatus,
    PulseView,
    SchedulerStats,
    StoreStats,
    hookimpl,
)
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually


def config(port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups: [{{id: plant, name: Plant}}]
targets: [{{type: tcp, host: 127.0.0.1, port: {port}, group: plant, name: Press}}]
"""


def view_members() -> dict[str, object]:
    return {
        name: member for name, member in vars(PulseView).items()
        if not name.startswith("_") and (callable(member) or isinstance(member, property))
    }


def test_the_view_has_the_members_the_documentation_lists() -> None:
    assert set(view_members()) == {
        "config", "store", "started_ts", "endpoints", "endpoint", "status", "statuses",
        "scheduler_stats", "store_stats", "plugin_errors", "probe_durations",
        "notifier_health", "notifiers", "queue_report", "status_changes", "setting",
        "add_setting_if_absent", "holds_job", "cluster_status",
    }


async def test_the_running_pulse_has_every_member_of_the_view(tmp_path: Path) -> None:
    async with running_pulse(config(9), tmp_path) as server:
        pulse = server.pulse
        for name, member in view_members().items():
            assert hasattr(pulse, name), name
            if isinstance(member, property):
                continue
            promised = list(inspect.signature(member).parameters)[1:]  # type: ignore[arg-type]
            assert list(inspect.signature(getattr(pulse, name)).parameters) == promised, name
        assert isinstance(pulse.scheduler_stats(), SchedulerStats)
        assert isinstance(pulse.store_stats(), StoreStats)


async def test_a_plugin_finds_the_configured_notifiers(tmp_path: Path) -> None:
    notifier = "notifiers: [{name: pager, webhook: {url: 'http://127.0.0.1:9/hook'}}]\n"
    outbound = "outbound: {allow_networks: [127.0.0.0/8], allow_plain_http: true}\n"
    async with running_pulse(config(9) + notifier + outbound, tmp_path) as server:
        view: PulseView = server.pulse
        (pager,) = view.notifiers().values()
        assert pager.name == "pager" and pager.type_name == "webhook"
        assert set(view.notifier_health()) == {"pager"}


async def test_a_status_read_stays_what_it_was_when_read(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    async with running_pulse(config(tcp_listener.port), tmp_path) as server:
        view: PulseView = server.pulse
        (endpoint,) = view.endpoints()
        assert view.endpoint(endpoint.id) == endpoint
        assert view.endpoint("no-such-id") is None
        assert view.status("no-such-id", time.time()) is None

        async def up() -> EndpointStatus | None:
            status = view.status(endpoint.id, time.time())
            return status if status is not None and status.live_status is LiveStatus.UP else None

        seen_up = await eventually(up)
        with view.status_changes(queue_size=10) as changes:
            await tcp_listener.stop()
            change = (await changes.next()).payload
            if change.state.value == "up":  # the first state reached, stored just now
                change = (await changes.next()).payload
        assert change.endpoint_id == endpoint.id and change.state.value == "down"

        now = time.time()
        (down,) = view.statuses(now)
        assert down == view.status(endpoint.id, now)
        assert down.state.value == "down" and down.checks_down > 0 and down.last_error
        # the value read while the endpoint was up did not follow the later checks
        assert seen_up.live_status is LiveStatus.UP and seen_up.checks_down == 0
        assert seen_up.checks_up <= down.checks_up
        assert seen_up.endpoint == endpoint


class Recorder:
    """A plugin that keeps what its event hooks are given."""

    def __init__(self) -> None:
        self.statuses: list[EndpointStatus | None] = []

    @hookimpl
    async def pulse_status_changed(self, app: PulseView, change: object, endpoint: object) -> None:
        self.statuses.append(app.status(endpoint.id, time.time()))  # type: ignore[attr-defined]


async def test_event_hooks_read_the_live_state_through_the_view(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    recorder = Recorder()
    async with running_pulse(config(tcp_listener.port), tmp_path) as server:
        assert server.pulse.plugins.register(recorder, name="recorder")

        async def told() -> EndpointStatus | None:
            return next(
                (one for one in recorder.statuses if one is not None and one.state.value == "down"),
                None,
            )

        await tcp_listener.stop()
        status = await eventually(told)
        assert status.endpoint.name == "Press" and status.state.value == "down"
