"""``pulse once --json`` over modbus targets from YAML: the installed plugin's verdicts."""

from __future__ import annotations

from pathlib import Path

from pulse_core.testing.once import pulse_once

from .plc import Plc


async def test_pulse_once_gives_each_modbus_target_its_verdict(plc: Plc, tmp_path: Path) -> None:
    config = f"""
version: 1
defaults: {{timeout_ms: 500, retries: 0}}
groups: [{{id: plant, name: Plant}}]
targets:
  - {{type: modbus, group: plant, host: 127.0.0.1, port: {plc.port}, name: PLC,
      read: {{kind: holding, address: 0, count: 3}}, expect: [{{index: 2, equals: 42}}]}}
  - {{type: modbus, group: plant, host: 127.0.0.1, port: {plc.port}, unit: 2, name: Unit 2,
      read: {{kind: coils, address: 0}}, expect: {{equals: 1}}}}
  - {{type: modbus, group: plant, host: 127.0.0.1, port: {plc.port}, unit: 3, name: Bad address,
      read: {{address: 500}}}}
"""
    status, rows = await pulse_once(config, tmp_path)
    verdicts = {row["name"]: (row["status"], row["error"]) for row in rows}
    assert verdicts == {
        "PLC": ("up", None),
        "Unit 2": ("up", None),
        "Bad address": ("down", "illegal data address (Modbus exception 2)"),
    }
    assert status == 1  # some down
