"""Real ``pulse run`` nodes on one PostgreSQL schema: started, killed, frozen, read back.

Each node is a process of its own with its own web port and node name, all running the
same configuration file; the tests look at what they did through the store they share."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pulse_core.app import build_store, load_plugins
from pulse_core.store import Store
from pulse_core.testing.listeners import free_tcp_port, port_below_ephemeral

#: every node's heartbeat in the tests: a lease of 3 s
HEARTBEAT_S = 1.0


def cluster_yaml(
    url: str, targets: list[dict[str, Any]], interval_s: int = 2, **sections: Any
) -> str:
    document = {
        "version": 1,
        "defaults": {
            "interval_seconds": interval_s, "timeout_ms": 500, "retries": 0,
            "failure_threshold": 2, "success_threshold": 1,
        },
        "groups": [
            {"id": "plant", "name": "Plant"},
            {"id": "north-hall", "name": "North hall", "site": "north"},
        ],
        "targets": targets,
        "storage": {"url": url},
        "cluster": {"heartbeat_seconds": HEARTBEAT_S},
        **sections,
    }
    return yaml.safe_dump(document, sort_keys=False)


def icmp_targets(count: int, group: str = "plant", second_octet: int = 0) -> list[dict[str, Any]]:
    """``count`` loopback addresses (every one of 127.0.0.0/8 answers pings)."""
    return [
        {"type": "icmp", "group": group, "host": f"127.{second_octet}.{1 + i // 250}.{1 + i % 250}"}
        for i in range(count)
    ]


@dataclass
class Node:
    name: str
    config: Path
    log: Path
    site: str | None = None
    port: int = field(default_factory=free_tcp_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        environment = dict(os.environ, PULSE_NODE_NAME=self.name)
        if self.site is not None:
            environment["PULSE_SITE"] = self.site
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "pulse_core.cli", "run", "--config", str(self.config),
                "--host", "127.0.0.1", "--port", str(self.port),
            ],
            stdout=subprocess.DEVNULL, stderr=self.log.open("ab"), env=environment,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def signal(self, which: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(which)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def nodes(tmp_path: Path, config_text: str, *names: str, sites: dict[str, str] | None = None
          ) -> Iterator[list[Node]]:
    """Nodes ``names`` started on ``config_text``, stopped at the end (frozen ones too)."""
    config = tmp_path / "pulse.yaml"
    config.write_text(config_text)
    started = [
        Node(name, config, tmp_path / f"{name}.log", (sites or {}).get(name)) for name in names
    ]
    try:
        for node in started:
            node.start()
        yield started
    finally:
        for node in started:
            node.stop()


@contextlib.asynccontextmanager
async def shared_store(url: str) -> AsyncIterator[Store]:
    store = build_store(url, load_plugins())
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def check_counts(store: Store, endpoint_ids: list[str], start: float, end: float
                       ) -> Counter[str]:
    counts: Counter[str] = Counter()
    async for page in store.checks_many(endpoint_ids, start, end):
        counts.update(check.endpoint_id for check in page)
    return counts


class Listener:
    """A device on a loopback TCP port: listening (the kernel completes every handshake)
    or not (refused). Needs no event loop, so a test can sleep while nodes work."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port_below_ephemeral(host) if port is None else port
        self._socket: socket.socket | None = None

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, self.port))
        server.listen(512)
        self._socket = server

    def stop(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> Listener:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def admin_key(config: Path) -> str:
    """A new admin API key for the cluster's store, made by ``pulse apikey create``."""
    made = subprocess.run(
        [sys.executable, "-m", "pulse_core.cli", "apikey", "create", "--config", str(config),
         "--name", "cluster-test", "--role", "admin"],
        capture_output=True, text=True, check=True,
    )
    return made.stdout.strip().splitlines()[-1]


def wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:g} s")
        time.sleep(0.1)
