"""Applying a configuration to a running Pulse (``Pulse.apply_config``): probes, outages of
removed endpoints, notifications, and the configuration file kept in step."""

from __future__ import annotations

import dataclasses
import os
import stat
import time
from pathlib import Path

from pulse_core import hookimpl
from pulse_core.config.model import PulseConfig, text_sha256
from pulse_core.engine.reconfigure import diff_endpoints, save_config_text
from pulse_core.models import Endpoint, Outage
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually


def config(targets: str, defaults: str = "") -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300{defaults}}}
groups: [{{id: plant, name: Plant}}]
targets:
{targets}"""


def keep_server_and_storage(text: str, running: PulseConfig) -> str:
    return text + (
        f"server: {{host: {running.server.host}, port: {running.server.port}}}\n"
        f"storage: {{url: \"{running.storage.url}\"}}\n"
    )


def test_diff_compares_every_field_and_an_own_name_only() -> None:
    unnamed = Endpoint("a1", "", "plant", "tcp", "127.0.0.1", 502)
    named = Endpoint("b2", "Press", "plant", "tcp", "127.0.0.2", 502)
    slower = dataclasses.replace(named, timeout_ms=2000)
    given_a_name = Endpoint("a1", "Packer", "plant", "tcp", "127.0.0.1", 502)
    equal_copy = Endpoint("a1", "", "plant", "tcp", "127.0.0.1", 502)
    assert diff_endpoints([unnamed, named], [equal_copy, slower]).updated == (slower,)
    assert diff_endpoints([unnamed], [given_a_name]).updated == (given_a_name,)
    assert diff_endpoints([given_a_name], [unnamed]).updated == (unnamed,)


async def test_changed_probe_defaults_start_a_new_probe(tmp_path: Path) -> None:
    http = f"  - {{type: http, host: 127.0.0.1, port: {free_tcp_port()}, group: plant}}\n"
    async with running_pulse(config(http), tmp_path) as server:
        pulse = server.pulse
        old_probe = pulse.probes["http"]
        text = keep_server_and_storage(
            config(http, ", http: {user_agent: Plant-Monitor/2}"), pulse.config
        )
        result = await pulse.apply_config(text, "test", None)
        assert result.changed and not result.changes and result.warnings == ()
        new_probe = pulse.probes["http"]
        assert new_probe is not old_probe
        assert new_probe.defaults is pulse.config.probe_defaults["http"]
        assert new_probe.defaults.model_dump()["user_agent"] == "Plant-Monitor/2"
        # the same defaults again: the running probe is kept
        again = text.replace("targets:", "# unchanged probes\ntargets:")
        await pulse.apply_config(again, "test", None)
        assert pulse.probes["http"] is new_probe


async def test_a_new_probe_type_is_started(tmp_path: Path) -> None:
    tcp = f"  - {{type: tcp, host: 127.0.0.1, port: {free_tcp_port()}, group: plant}}\n"
    async with running_pulse(config(tcp), tmp_path) as server:
        pulse = server.pulse
        assert "icmp" not in pulse.probes
        text = keep_server_and_storage(
            config(tcp + "  - {type: icmp, host: 127.0.0.9, group: plant}\n"), pulse.config
        )
        result = await pulse.apply_config(text, "test", None)
        icmp_id = result.changes.added[0].id

        async def checked_up() -> bool | None:
            state = pulse.monitor.states[icmp_id]
            return True if state.last is not None and state.last.status.value == "up" else None

        await eventually(checked_up)


async def test_removing_a_down_endpoint_closes_its_outage_as_a_gap(tmp_path: Path) -> None:
    port = free_tcp_port()
    closed = f"  - {{type: tcp, host: 127.0.0.1, port: {port}, group: plant, name: Dead}}\n"
    alive = "  - {type: icmp, host: 127.0.0.1, group: plant}\n"
    async with running_pulse(config(closed + alive), tmp_path) as server:
        pulse = server.pulse
        dead_id = next(ep.id for ep in pulse.config.endpoints if ep.name == "Dead")

        async def outage_open() -> Outage | None:
            return pulse.monitor.states[dead_id].open_outage

        opened = await eventually(outage_open)
        last_check = pulse.monitor.states[dead_id].last
        assert last_check is not None
        result = await pulse.apply_config(
            keep_server_and_storage(config(alive), pulse.config), "test", "decommissioned"
        )
        assert [endpoint.id for endpoint in result.changes.removed] == [dead_id]

        async def closed_in_store() -> list[Outage] | None:
            # The writer task stores the outage, then the snapshot (a flush from here would
            # race with it): wait for both.
            outages = await pulse.store.outages(dead_id, 0, time.time() + 60)
            snapshots = await pulse.store.load_snapshots()
            if not outages or outages[0].ended_ts is None or snapshots[dead_id].open_outage:
                return None
            return outages

        stored = await eventually(closed_in_store)
    assert len(stored) == 1
    assert stored[0].gap
    assert abs(stored[0].started_ts - opened.started_ts) < 0.001  # stores keep milliseconds
    assert stored[0].ended_ts is not None and stored[0].ended_ts >= last_check.ts - 0.001


async def test_plugins_hear_of_each_applied_configuration(tmp_path: Path) -> None:
    heard: list[PulseConfig] = []

    class Listener:
        @hookimpl
        async def pulse_config_applied(self, app: object, config: PulseConfig) -> None:
            heard.append(config)

    icmp = "  - {type: icmp, host: 127.0.0.1, group: plant}\n"
    async with running_pulse(config(icmp), tmp_path) as server:
        server.pulse.plugins.register(Listener(), "test-listener")
        text = keep_server_and_storage(config(icmp.replace("plant}", "plant, name: Loop}")),
                                       server.pulse.config)
        await server.pulse.apply_config(text, "test", None, dry_run=True)
        assert heard == []
        result = await server.pulse.apply_config(text, "test", None)
        await server.pulse.apply_config(text, "test", None)  # identical: nothing to hear
    assert heard == [result.config]


async def test_the_running_text_is_read_from_the_store_not_kept(tmp_path: Path) -> None:
    """At 20,000 targets the text is a megabyte; the store keeps every version of it, so a
    running Pulse keeps only its SHA-256 and the id of the version that runs."""
    icmp = "  - {type: icmp, host: 127.0.0.1, group: plant}\n"
    async with running_pulse(config(icmp), tmp_path) as server:
        pulse = server.pulse
        started_with = server.config_path.read_text()
        assert not hasattr(pulse.config, "source_text") and pulse._unstored_text is None
        assert pulse.config.source_sha256 == text_sha256(started_with)
        assert await pulse.config_text() == started_with
        first_version = pulse.config_version_id

        text = keep_server_and_storage(config(icmp.replace("plant}", "plant, name: Loop}")),
                                       pulse.config)
        result = await pulse.apply_config(text, "test", None)
        assert pulse.config_version_id == result.config_version_id != first_version
        assert await pulse.config_text() == text == server.config_path.read_text()
        again = await pulse.apply_config(text, "test", None)
        assert (again.changed, again.config_version_id) == (False, result.config_version_id)


def test_the_file_is_replaced_atomically_with_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "pulse.yaml"
    path.write_text("version: 1\n")
    path.chmod(0o640)
    assert save_config_text(path, "version: 1\n# new\n", text_sha256("version: 1\n")) == []
    assert path.read_text() == "version: 1\n# new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["pulse.yaml"]  # no temporary file left behind


def test_a_symlinked_file_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old\n")
    link = tmp_path / "pulse.yaml"
    link.symlink_to(real)
    assert save_config_text(link, "new\n", text_sha256("old\n")) == []
    assert link.is_symlink() and real.read_text() == "new\n"


def test_a_file_edited_since_it_was_loaded_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "pulse.yaml"
    path.write_text("edited by hand\n")
    warnings = save_config_text(path, "from the API\n", text_sha256("as loaded\n"))
    assert path.read_text() == "edited by hand\n"
    assert warnings == [(
        f"the configuration is running but was not saved to {path}: it was changed on disk "
        "since Pulse loaded it; save GET /api/configuration/current there, or a restart runs "
        "the file as it is"
    )]


def test_a_file_that_cannot_be_written_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "pulse.yaml"
    warnings = save_config_text(path, "new\n", text_sha256("old\n"))
    assert len(warnings) == 1 and "No such file or directory" in warnings[0]
