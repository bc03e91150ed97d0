"""Shared pieces of the alerting tests: a configuration around one TCP target, and waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import yaml

#: Loopback receivers on plain http are allowed in every test configuration.
OUTBOUND = {"allow_networks": ["127.0.0.0/8"], "allow_plain_http": True}


def pulse_yaml(
    port: int, notifiers: list[dict], name: str = "PLC 1", **sections: object
) -> str:
    """One TCP target on loopback ``port`` that turns over after a single check each way."""
    document = {
        "version": 1,
        "defaults": {
            "interval_seconds": 1,
            "timeout_ms": 500,
            "retries": 0,
            "failure_threshold": 1,
            "success_threshold": 1,
        },
        "groups": [{"id": "press-shop", "name": "Press shop"}],
        "targets": [
            {
                "type": "tcp",
                "host": "127.0.0.1",
                "port": port,
                "group": "press-shop",
                "name": name,
            }
        ],
        "notifiers": notifiers,
        "outbound": OUTBOUND,
        "alerting": {"retry_initial": 0.2, "retry_max": 1},
        **sections,
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


async def eventually(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
