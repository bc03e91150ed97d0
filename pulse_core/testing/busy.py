"""A configuration that keeps Pulse's writer busy: a block of TCP endpoints on loopback, on
a port nobody listens on (each check is a quick refusal), checked every second."""

from __future__ import annotations

from pathlib import Path

import yaml


def busy_plant(database: Path, network: str, port: int | None = None) -> str:
    """YAML checking every host of the loopback ``network`` (``127.0.6.0/26``) every second,
    stored in the SQLite file ``database``, served on loopback ``port`` when one is given
    (``running_pulse`` picks one itself)."""
    document: dict[str, object] = {
        "version": 1,
        "defaults": {"interval_seconds": 1, "timeout_ms": 500, "retries": 0},
        "groups": [{"id": "plant", "name": "Plant"}],
        "targets": [{"type": "tcp", "cidr": network, "port": 9, "group": "plant"}],
        "storage": {"url": f"sqlite:///{database}"},
    }
    if port is not None:
        document["server"] = {"host": "127.0.0.1", "port": port}
    return yaml.safe_dump(document, sort_keys=False)
