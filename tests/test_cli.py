"""The ``pulse`` command, run as a user runs it: a real process on real files."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from pulse_core.testing.listeners import TcpListener, free_tcp_port

REPO = Path(__file__).resolve().parents[1]


def pulse(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulse_core.cli", *args],
        capture_output=True, text=True, timeout=60, cwd=cwd,
    )


def test_check_lists_the_sample_configuration_per_group() -> None:
    result = pulse("check", "--config", str(REPO / "config" / "pulse.yaml"))
    assert result.returncode == 0, result.stderr
    assert "This machine (this-host): 7 endpoint(s)" in result.stdout
    assert "loopback block 127.0.1.1" in result.stdout
    assert "configuration OK: 9 endpoint(s) in 2 group(s)" in result.stdout


def test_check_reports_every_error_and_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(textwrap.dedent("""\
        version: 1
        defaults: {}
        groups:
          - id: plant
            name: Plant
        targets:
          - type: tcp
            host: 10.0.0.1
            group: plant
          - type: icmp
            host: 10.0.0.2
            group: nowhere
    """))
    result = pulse("check", "--config", str(config))
    assert result.returncode == 1
    assert "bad.yaml:7:" in result.stderr and "port" in result.stderr
    assert "bad.yaml:12:" in result.stderr and "nowhere" in result.stderr


def cell_config(tmp_path: Path, ports: dict[str, int]) -> Path:
    """A cell of TCP endpoints, one per name, checked once with no retry."""
    targets = "".join(
        f"  - {{type: tcp, name: {name}, host: 127.0.0.1, port: {port}, group: cell-1}}\n"
        for name, port in ports.items()
    )
    config = tmp_path / "pulse.yaml"
    config.write_text(
        "version: 1\ndefaults: {timeout_ms: 500, retries: 0}\n"
        "groups: [{id: cell-1, name: Cell 1}]\ntargets:\n" + targets
    )
    return config


async def test_once_prints_one_json_row_per_endpoint(tmp_path: Path) -> None:
    listener = TcpListener()
    await listener.start()
    config = cell_config(tmp_path, {"robot": listener.port, "vision": free_tcp_port()})
    try:
        result = await asyncio.to_thread(pulse, "once", "--config", str(config), "--json")
    finally:
        await listener.stop()
    assert result.returncode == 1, result.stderr  # vision is down
    rows = json.loads(result.stdout)
    assert [set(row) for row in rows] == [
        {"name", "type", "host", "port", "group", "status", "rttMs", "error"}
    ] * 2
    robot, vision = rows
    assert robot["status"] == "up" and robot["rttMs"] >= 0 and robot["error"] is None
    assert robot["group"] == "Cell 1"
    assert (vision["status"], vision["error"]) == ("down", "connection refused")


async def test_once_exits_0_when_every_endpoint_is_up_and_2_on_a_bad_configuration(
    tmp_path: Path,
) -> None:
    listener = TcpListener()
    await listener.start()
    config = cell_config(tmp_path, {"robot": listener.port})
    try:
        all_up = await asyncio.to_thread(pulse, "once", "--config", str(config))
    finally:
        await listener.stop()
    assert all_up.returncode == 0, all_up.stderr
    assert "1/1 up" in all_up.stdout
    config.write_text("version: 1\ngroups: []\ntargets: [{type: tcp, host: 127.0.0.1}]\n")
    bad = pulse("once", "--config", str(config))
    assert bad.returncode == 2
    assert "pulse.yaml" in bad.stderr and "Traceback" not in bad.stderr


def test_plugins_lists_the_first_party_plugins() -> None:
    result = pulse("plugins", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {row["name"]: row for row in json.loads(result.stdout)}
    for name in ["pulse-probe-icmp", "pulse-probe-tcp", "pulse-probe-http", "pulse-store-sql"]:
        assert plugins[name]["error"] is None
        assert plugins[name]["version"]
    assert plugins["pulse-store-sql"]["hooks"] == ["pulse_register_stores"]
    assert "pulse_register_blueprints" in plugins["pulse_core.web.health"]["hooks"]


def test_a_reader_that_has_gone_ends_the_listing_quietly() -> None:
    """``pulse plugins | head -1``, the reader gone before the listing is written, buffered
    or not."""
    for buffered in ("", "1"):
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            listing = subprocess.run(
                [sys.executable, "-m", "pulse_core.cli", "plugins"],
                stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60,
                env={**os.environ, "PYTHONUNBUFFERED": buffered},
            )
        finally:
            os.close(write_end)
        assert listing.returncode == 141, listing.stderr
        assert "Traceback" not in listing.stderr and "BrokenPipe" not in listing.stderr


def test_check_reports_references_between_plugin_sections_with_their_place(tmp_path: Path) -> None:
    config = tmp_path / "alerts.yaml"
    config.write_text(textwrap.dedent("""\
        version: 1
        defaults: {}
        groups: [{id: plant, name: Plant}]
        targets: [{type: icmp, host: 127.0.0.1, group: plant}]
        notifiers:
          - name: ops
            webhook: {url: "https://hooks.example/pulse"}
        alerts:
          - notify: [opz]
            groups: [plnat]
    """))
    result = pulse("check", "--config", str(config))
    assert result.returncode == 1
    assert "alerts.yaml:9:" in result.stderr and "no notifier is called 'opz'" in result.stderr
    assert "alerts.yaml:10:" in result.stderr and "no group is called 'plnat'" in result.stderr


def test_check_refuses_deep_nesting_with_its_line_and_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "deep.yaml"
    config.write_text("version: 1\n" + "".join("  " * i + "a:\n" for i in range(500)) + "x: 1\n")
    result = pulse("check", "--config", str(config))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"deep.yaml:66:129: mappings and lists are nested deeper than 64 levels" in result.stderr


def test_check_warns_of_each_notifier_destination_the_outbound_policy_refuses(
    tmp_path: Path,
) -> None:
    config = tmp_path / "pulse.yaml"
    config.write_text(textwrap.dedent("""\
        version: 1
        defaults: {}
        groups: [{id: plant, name: Plant}]
        targets: [{type: icmp, host: 127.0.0.1, group: plant}]
        notifiers:
          - {name: hook, webhook: {url: "http://127.0.0.1:9/hook?token=s3cret"}}
          - {name: chat, slack: {webhookUrl: "https://[::1]/services/T/B/x"}}
          - {name: fine, webhook: {url: "https://127.0.0.2/x"}}
        outbound: {allow_networks: ["127.0.0.2/32"]}
    """))
    result = pulse("check", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"{config}: warning: notifiers[0] (hook): webhook.url: http://127.0.0.1:9/***: plain "
        "http is refused; use https or set outbound.allow_plain_http; this notifier cannot "
        "deliver",
        f"{config}: warning: notifiers[1] (chat): slack.webhookUrl: ::1 (::1) is a loopback "
        "address: refused unless listed in outbound.allow_networks; this notifier cannot "
        "deliver",
    ]


def test_check_prints_the_dependency_tree(tmp_path: Path) -> None:
    config = tmp_path / "pulse.yaml"
    config.write_text(textwrap.dedent("""\
        version: 1
        groups:
          - {id: network, name: Network}
          - {id: line-1, name: Line 1, depends_on: switch-1}
        targets:
          - {name: core, type: tcp, host: 127.0.0.1, port: 9000, group: network}
          - {name: switch-1, type: tcp, host: 127.0.0.1, port: 9001, group: network,
             depends_on: core}
          - {name: plc-1, type: tcp, host: 127.0.0.1, port: 9002, group: line-1}
          - {name: hmi, type: tcp, host: 127.0.0.1, port: 9003, group: line-1,
             depends_on: core, depends_on_mode: any}
    """))
    result = pulse("check", "--config", str(config))
    assert result.returncode == 0, result.stderr
    tree = result.stdout.split("dependencies: 3 endpoint(s) depend on others\n", 1)[1]
    assert tree.splitlines() == [
        "  core",
        "    switch-1",
        "      plc-1",
        "      hmi  [any]",
        "    hmi  [any]",
    ]


def test_check_refuses_a_dependency_cycle_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "pulse.yaml"
    config.write_text(textwrap.dedent("""\
        version: 1
        groups: [{id: network, name: Network}]
        targets:
          - {name: a, type: tcp, host: 127.0.0.1, port: 9000, group: network, depends_on: b}
          - {name: b, type: tcp, host: 127.0.0.1, port: 9001, group: network, depends_on: a}
    """))
    result = pulse("check", "--config", str(config))
    assert result.returncode == 1
    assert "pulse.yaml:4:" in result.stderr
    assert "endpoints depend on each other in a cycle: a → b → a" in result.stderr
