"""A probe worker process: checks what the main process sends it, with the installed probes.

Started by :class:`~pulse_core.engine.workers.pool.ProbeWorkers` as
``python -m pulse_core.engine.workers.worker FD INDEX``, where ``FD`` is its end of a socket
pair. It is told which probe class to start for a type (the one the main process's plugins
registered, sent by reference, so only that plugin's module is imported: a worker is ready in
a fraction of the seconds loading every plugin takes), and answers each batch with its
results as the probe reports them, a few milliseconds' results in one message. It makes one
attempt per request (retries are the main process's) under the same watchdog as checks in
the main process.

A batch carries the definitions of its endpoints, and a worker keeps none between batches:
a copy of each of 100,000 definitions cost about 500 bytes an endpoint across the workers,
where a definition sent with each check costs about 2.5 µs of CPU (pickled, read, built).

It stops when the main process closes its end, whatever the reason (a stop, or the main
process killed), and ignores SIGINT: Ctrl-C in a terminal reaches every process of the group,
and the main process stops its workers itself once its own checks are over.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from pulse_core.engine.checks import GUARD_SLACK_S, run_probe_many
from pulse_core.engine.probing import start_probe
from pulse_core.engine.workers import wire
from pulse_core.models import Endpoint, ProbeResult
from pulse_core.probe import Probe

log = logging.getLogger("pulse.worker")

#: results are sent together, at most this long after the first of them is known: one
#: message (and one wake-up of each process) for a few milliseconds' results, where a
#: message per pass of the event loop cost more than the checks at 5,000 a second
RESULTS_EVERY_S = 0.005


class Worker:
    """The probes and running batches of one worker process."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._probes: dict[str, Probe] = {}
        #: the longest timeout of any endpoint sent for a type: how long a replaced probe is
        #: kept for the checks that already hold it
        self._longest_ms: dict[str, int] = {}
        self._batches: dict[int, asyncio.Task[None]] = {}
        self._results: list[tuple[Any, ...]] = []
        self._closing: set[asyncio.Task[None]] = set()

    async def serve(self, reader: asyncio.StreamReader) -> None:
        """Answer messages until the main process closes its end."""
        try:
            while True:
                try:
                    message = await wire.read(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                kind = message[0]
                if kind == wire.CHECK:
                    self._check(*message[1:])
                elif kind == wire.CANCEL:
                    task = self._batches.pop(message[1], None)
                    if task is not None:
                        task.cancel()
                elif kind == wire.START:
                    await self._start(*message[1:])
        finally:
            await self._close()

    async def _start(
        self, type_name: str, probe_class: type[Probe], defaults: BaseModel | None
    ) -> None:
        probe, problem = await start_probe(probe_class, defaults)
        replaced = self._probes.get(type_name)
        self._probes[type_name] = probe
        if replaced is not None:
            self._close_later(
                replaced, self._longest_ms.get(type_name, 0) / 1000 + GUARD_SLACK_S
            )
        self._writer.write(wire.frame((wire.STARTED, type_name, problem)))

    def _check(
        self, batch: int, type_name: str, definitions: Sequence[tuple[Any, ...]]
    ) -> None:
        probe = self._probes.get(type_name)
        if probe is None:
            for position in range(len(definitions)):
                self._report(batch, position, ProbeResult.failure(
                    f"probe error: the probe worker has no {type_name} probe"
                ))
            return
        endpoints = [wire.endpoint_from(fields) for fields in definitions]
        longest = max(endpoint.timeout_ms for endpoint in endpoints)
        if longest > self._longest_ms.get(type_name, 0):
            self._longest_ms[type_name] = longest
        self._batches[batch] = asyncio.create_task(self._run(batch, probe, endpoints))

    async def _run(self, batch: int, probe: Probe, endpoints: list[Endpoint]) -> None:
        try:
            await run_probe_many(
                probe, endpoints, lambda position, result: self._report(batch, position, result)
            )
        finally:
            self._batches.pop(batch, None)

    def _report(self, batch: int, position: int, result: ProbeResult) -> None:
        if not self._results:
            asyncio.get_running_loop().call_later(RESULTS_EVERY_S, self._flush)
        self._results.append(
            (batch, position, result.ok, result.rtt_ms, result.error, result.details or None)
        )

    def _flush(self) -> None:
        results, self._results = self._results, []
        self._writer.write(wire.frame((wire.RESULTS, results)))

    def _close_later(self, probe: Probe, delay_s: float) -> None:
        """Close a replaced probe once the checks that already hold it can have finished."""

        async def close() -> None:
            await asyncio.sleep(delay_s)
            await _close_probe(probe)

        task = asyncio.create_task(close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self) -> None:
        for task in [*self._batches.values(), *self._closing]:
            task.cancel()
        await asyncio.gather(*self._batches.values(), *self._closing, return_exceptions=True)
        for probe in self._probes.values():
            await _close_probe(probe)


async def _close_probe(probe: Probe) -> None:
    try:
        await probe.close()
    except Exception:
        log.exception("closing the %s probe failed", probe.type_name)


async def _serve(fd: int) -> None:
    sock = socket.socket(fileno=fd)
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    await Worker(writer).serve(reader)
    writer.close()


def main(argv: Sequence[str]) -> None:
    fd, index = int(argv[0]), argv[1]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=os.environ.get("PULSE_LOG_LEVEL", "INFO").upper(),
        format=f"%(asctime)s %(levelname)s %(name)s [probe worker {index}]: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(_serve(fd))


if __name__ == "__main__":
    main(sys.argv[1:])
