"""How fast a burst of notifications reaches one receiver that answers at once.

N endpoints (tcp, on loopback addresses) each go offline once, all at the same moment (as the
timeouts of a batch of pings sent together end together): every change is handed to the
store's writer with its outage and state, as the monitor hands them, and reaches a real alert
engine through the stored stream once written, as in ``pulse run``; a SQLite store, storm
grouping off, one webhook notifier and a real HTTP receiver on loopback that keeps
connections alive and answers 200 at once, or after ``--answer-ms`` (a service across a
network). Measured from the first change handed to the writer:

- ``seconds_to_deliver_all``: until the receiver has the last message (goal ≤ 5 s for 2,000);
- ``delay_p50_ms`` / ``delay_max_ms``: from a change handed to the writer to its message's
  arrival;
- ``most_at_once``: the most requests the receiver answered at the same time.

``python bench/notify.py --messages 2000 [--answer-ms 20] [--concurrency 8]`` prints a JSON
line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from pulse_core.alerting.engine import AlertEngine
from pulse_core.app import build_store, load_plugins
from pulse_core.config import load_config
from pulse_core.engine.writer import StoreWriter
from pulse_core.models import EndpointSnapshot, Outage, State, StatusChange
from pulse_core.stored import StoredStream
from pulse_core.testing.notifier_conformance import LOOPBACK_OUTBOUND
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.receivers import Receiver

#: Endpoints per wildcard target (127.0.N.1 - 127.0.N.254).
PER_TARGET = 254


def configuration(messages: int, url: str, concurrency: int | None) -> str:
    targets = [
        {"type": "tcp", "wildcard": f"127.0.{block}.*", "port": 9, "group": "plant"}
        for block in range(1, messages // PER_TARGET + 2)
    ]
    alerting: dict[str, object] = {"storm": {"threshold": 10 * messages}}
    if concurrency is not None:
        alerting["concurrency"] = concurrency
    document = {
        "version": 1,
        "defaults": {"interval_seconds": 60},
        "groups": [{"id": "plant", "name": "Plant"}],
        "targets": targets,
        "notifiers": [
            {
                "name": "ops",
                "webhook": {"url": f"{url}/hook", "body": {"text": "{{message}}"}},
            }
        ],
        "outbound": LOOPBACK_OUTBOUND,
        "alerting": alerting,
    }
    return yaml.safe_dump(document, sort_keys=False)


class ReceiverProcess:
    """The receiver in a process of its own (``notify.py --serve``), so that its threads do
    not share Pulse's interpreter lock: the figures are Pulse's, not the receiver's."""

    def __init__(self, answer_ms: float) -> None:
        self.port = free_tcp_port()
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(self.port), "--answer-ms", str(answer_ms)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ask("count")  # answers once it listens

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ask(self, question: str) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(question + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def serve(port: int, answer_ms: float) -> None:
    """The receiver's side: answers ``count`` and ``report`` on stdin until it closes."""
    receiver = Receiver(port)
    receiver.keep_alive = True
    receiver.delay_s = answer_ms / 1000
    receiver.start()
    for question in sys.stdin:
        if question.strip() == "count":
            answer: Any = len(receiver.requests)
        else:
            answer = {
                "texts": [request.json()["text"] for request in receiver.requests],
                "arrivals": receiver.arrivals,
                "most_at_once": receiver.most_at_once,
            }
        print(json.dumps(answer), flush=True)


async def measure(
    messages: int, answer_ms: float, concurrency: int | None, directory: Path
) -> dict[str, object]:
    receiver = ReceiverProcess(answer_ms)
    plugins = load_plugins()
    registries = plugins.registries
    config = load_config(
        configuration(messages, receiver.url, concurrency),
        probes=registries.probes,
        sections=registries.config_sections,
    )
    store = build_store(f"sqlite:///{directory / 'pulse.db'}", plugins)
    await store.open()
    await store.sync_catalog(config.groups, config.endpoints)
    engine = AlertEngine(store, registries.notifiers)
    await engine.start(config)
    endpoints = config.endpoints[:messages]
    stream = StoredStream({endpoint.id: endpoint for endpoint in endpoints}.get)
    stream.subscribe_in_tasks(engine.stored, in_order=True)
    writer = StoreWriter(store, stream.written)
    writing = asyncio.create_task(writer.run())
    handed: dict[str, float] = {}
    try:
        started = time.monotonic()
        now = time.time()
        for endpoint in endpoints:
            outage = Outage(endpoint.id, now, last_error="connection refused")
            change = StatusChange(
                endpoint.id, now, State.DOWN, State.UP, None, "connection refused", outage
            )
            handed[f"{endpoint.name} "] = time.monotonic()
            writer.add_change(change, EndpointSnapshot(endpoint.id, State.DOWN, now, now, outage))
        # asked from a thread: the answer waits for the receiver's process, and the loop
        # being measured must not wait with it
        while await asyncio.to_thread(receiver.ask, "count") < messages:
            await asyncio.sleep(0.05)
        report = receiver.ask("report")
    finally:
        writer.close()
        await writing
        await stream.drain()
        await engine.stop()
        await store.close()
        receiver.close()
    finished = max(report["arrivals"])
    delays_ms = sorted(
        (arrival - handed[text.split("(")[0]]) * 1000
        for text, arrival in zip(report["texts"], report["arrivals"])
    )
    return {
        "messages": messages,
        "concurrency": engine_concurrency(config),
        "seconds_to_deliver_all": round(finished - started, 2),
        "messages_per_s": round(messages / (finished - started)),
        "delay_p50_ms": round(statistics.median(delays_ms)),
        "delay_max_ms": round(delays_ms[-1]),
        "most_at_once": report["most_at_once"],
    }


def engine_concurrency(config: object) -> int:
    settings = config.sections["alerting"]  # type: ignore[attr-defined]
    return int(settings.concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--answer-ms", type=float, default=0.0, help="the receiver's latency")
    parser.add_argument(
        "--concurrency", type=int, default=None, help="alerting.concurrency (default: Pulse's)"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve(arguments.serve, arguments.answer_ms)
        return
    with tempfile.TemporaryDirectory(prefix="pulse-bench-notify-") as directory:
        figures = asyncio.run(
            measure(
                arguments.messages, arguments.answer_ms, arguments.concurrency, Path(directory)
            )
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
