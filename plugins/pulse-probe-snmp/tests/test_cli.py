"""``pulse once --json`` over snmp targets from YAML: the installed plugin's verdicts."""

from __future__ import annotations

from pathlib import Path

from pulse_core.testing.once import pulse_once

from .snmp_agent import AUTH_KEY, COMMUNITY, PRIV_KEY, USER, SnmpAgent


async def test_pulse_once_gives_each_snmp_target_its_verdict(
    agent: SnmpAgent, tmp_path: Path
) -> None:
    config = f"""
version: 1
defaults:
  timeout_ms: 500
  retries: 0
  snmp: {{user: {USER}, auth_key: "${{SNMP_AUTH_KEY}}", priv_key: "${{SNMP_PRIV_KEY}}"}}
groups: [{{id: network, name: Network}}]
targets:
  - {{type: snmp, group: network, host: 127.0.0.1, port: {agent.port}, name: v3 from defaults,
      interfaces: [lo]}}
  - {{type: snmp, group: network, host: 127.0.0.2, port: {agent.port}, name: v2c,
      community: {COMMUNITY}}}                  # a community means 2c, defaults or not
  - {{type: snmp, group: network, host: 127.0.0.3, port: {agent.port}, name: wrong community,
      version: 2c, community: public}}
"""
    keys = {"SNMP_AUTH_KEY": AUTH_KEY, "SNMP_PRIV_KEY": PRIV_KEY}
    status, rows = await pulse_once(config, tmp_path, keys)
    verdicts = {row["name"]: (row["status"], row["error"]) for row in rows}
    assert verdicts == {
        "v3 from defaults": ("up", None),
        "v2c": ("up", None),
        "wrong community": ("down", "timeout after 500 ms (device down, or wrong community)"),
    }
    assert status == 1  # some down
