"""The main process's side of the probe workers: starting them, sending checks, taking results.

Each worker is a child process (:mod:`.worker`) on one end of a socket pair. A batch of a
type goes out as one message per worker that checks some of its endpoints, with their
definitions (a worker keeps none: the configuration's endpoints live in this process only);
an endpoint always goes to the same worker, so a probe's sessions stay where they were made.
The results come back in messages of their own and are handed to the batch's ``report`` as
they arrive.

A worker that ends (killed, or crashed by a plugin) fails the checks it held with the reason
and is started again with the probes it had. Until it has started them, its endpoints'
checks fail at once with that reason (not as a device's timeout); monitoring goes on, and
the next run of each endpoint goes to the new worker.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from pulse_core.engine.workers import wire
from pulse_core.engine.workers.remote import RemoteProbe
from pulse_core.models import Endpoint, ProbeResult
from pulse_core.probe import Probe, ReportResult

log = logging.getLogger("pulse.workers")

#: ``PULSE_PROBE_WORKERS``: how many worker processes probe (``pulse run --probe-workers``);
#: 0 or unset: probes run in the main process
WORKERS_VARIABLE = "PULSE_PROBE_WORKERS"
#: a worker that ends is started again after this pause, doubled each time it ends again
#: within ``STEADY_S`` of its start (one that cannot start at all, say an import error, is
#: retried every 30 s, not every second)
RESTART_PAUSE_S = 1.0
LONGEST_PAUSE_S = 30.0
STEADY_S = 10.0

_NO_DETAILS: Mapping[str, Any] = MappingProxyType({})


def restart_pause(previous_s: float, ran_for_s: float) -> float:
    """How long to wait before starting a worker again that ran ``ran_for_s`` after the
    pause ``previous_s`` (0 for its first start)."""
    if previous_s and ran_for_s < STEADY_S:
        return min(previous_s * 2, LONGEST_PAUSE_S)
    return RESTART_PAUSE_S


class BadWorkerCount(ValueError):
    """``PULSE_PROBE_WORKERS`` (or ``--probe-workers``) is not a count Pulse can run."""


def probe_workers_wanted(environ: Mapping[str, str]) -> int:
    """How many probe workers ``environ`` asks for (0: none)."""
    text = environ.get(WORKERS_VARIABLE, "").strip()
    if not text:
        return 0
    try:
        count = int(text)
    except ValueError:
        raise BadWorkerCount(
            f"{WORKERS_VARIABLE}={text!r}: not a number; give the count of probe worker "
            "processes, e.g. 2, or 0 to probe in the main process"
        ) from None
    if not 0 <= count <= 64:
        raise BadWorkerCount(
            f"{WORKERS_VARIABLE}={count}: give a count of probe worker processes from 0 to 64"
        )
    return count


@dataclass(eq=False)
class _Batch:
    """Checks sent out for one ``check_many`` call, until every one is reported."""

    report: ReportResult
    left: int
    done: asyncio.Future[None]
    #: the positions in the batch of the endpoints sent to each worker (by index): a
    #: worker's results name the position in what it was sent
    sent: dict[int, list[int]] = field(default_factory=dict)
    reported: set[int] = field(default_factory=set)

    def take(self, position: int, result: ProbeResult) -> None:
        if position in self.reported:
            return
        self.reported.add(position)
        self.report(position, result)
        self.left -= 1
        if self.left == 0 and not self.done.done():
            self.done.set_result(None)


class _Worker:
    """One worker process and what this process knows of it."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process: asyncio.subprocess.Process | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.started: dict[str, asyncio.Future[str | None]] = {}
        #: STARTs sent and not yet answered: the worker takes checks once they are
        self.starting = 0
        #: why its checks fail at once while it starts again, if it does
        self.restarting: str | None = None
        self.reading: asyncio.Task[None] | None = None
        self.spawned_at = 0.0
        #: the pause before its last start (0: it has not ended yet)
        self.pause_s = 0.0

    def send(self, message: Any) -> None:
        assert self.writer is not None, "the worker is started"
        if message[0] == wire.START:
            self.starting += 1
        self.writer.write(wire.frame(message))


class ProbeWorkers:
    """``count`` worker processes that run every probe; see :mod:`pulse_core.engine.workers`."""

    def __init__(
        self, count: int, classes: Mapping[str, type[Probe]], environ: Mapping[str, str]
    ) -> None:
        self._workers = [_Worker(index) for index in range(count)]
        self._classes = classes
        self._environ = dict(environ)
        self._batches: dict[int, _Batch] = {}
        self._numbers = itertools.count(1)
        #: the probes started, with their defaults: a worker started again gets them too
        self._probes: dict[str, BaseModel | None] = {}
        self._closing = False

    async def start(self) -> None:
        for worker in self._workers:
            await self._spawn(worker)

    async def start_probe(
        self, type_name: str, defaults: BaseModel | None
    ) -> tuple[Probe, str | None]:
        """Start the probe of ``type_name`` in every worker; the first problem a worker
        reports is returned (its checks fail with it there)."""
        self._probes[type_name] = defaults
        answers = await asyncio.gather(
            *(self._start_probe(worker, type_name, defaults) for worker in self._workers)
        )
        return RemoteProbe(type_name, self), next((a for a in answers if a is not None), None)

    async def check(
        self, type_name: str, endpoints: Sequence[Endpoint], report: ReportResult
    ) -> None:
        """Check ``endpoints`` (all of ``type_name``) once each in their workers, calling
        ``report(index, result)`` as each result arrives; returns when all have."""
        if not endpoints:
            return
        number = next(self._numbers)
        batch = _Batch(report, len(endpoints), asyncio.get_running_loop().create_future())
        workers = self._workers
        count = len(workers)
        definitions: dict[int, list[tuple[Any, ...]]] = {}
        held_up: list[tuple[int, str]] = []
        fields = wire.endpoint_fields
        for position, endpoint in enumerate(endpoints):
            index = hash(endpoint.id) % count
            restarting = workers[index].restarting
            if restarting is not None:
                held_up.append((position, restarting))
                continue
            sent = definitions.get(index)
            if sent is None:
                sent = definitions[index] = []
                batch.sent[index] = []
            sent.append(fields(endpoint))
            batch.sent[index].append(position)
        self._batches[number] = batch
        for position, reason in held_up:
            batch.take(position, ProbeResult.failure(f"probe error: {reason}"))
        try:
            for index, theirs in definitions.items():
                workers[index].send((wire.CHECK, number, type_name, theirs))
            if batch.left:
                await batch.done
        except asyncio.CancelledError:
            for index in definitions:
                if workers[index].writer is not None:
                    workers[index].send((wire.CANCEL, number))
            raise
        finally:
            del self._batches[number]

    @property
    def ready(self) -> bool:
        """Whether every worker takes checks (none is starting again)."""
        return all(worker.restarting is None for worker in self._workers)

    def pids(self) -> list[int]:
        """The workers' process ids (benchmarks count their CPU)."""
        return [w.process.pid for w in self._workers if w.process is not None]

    async def close(self) -> None:
        """Close every worker's socket (it closes its probes and ends), then wait for it."""
        self._closing = True
        for worker in self._workers:
            if worker.writer is not None:
                worker.writer.close()
        for worker in self._workers:
            if worker.process is not None:
                try:
                    await asyncio.wait_for(worker.process.wait(), 10)
                except TimeoutError:
                    log.warning("probe worker %d did not stop in 10 s: killed", worker.index)
                    worker.process.kill()
                    await worker.process.wait()
            if worker.reading is not None:
                await asyncio.gather(worker.reading, return_exceptions=True)

    async def _spawn(self, worker: _Worker) -> None:
        worker.spawned_at = time.monotonic()
        ours, theirs = socket.socketpair()
        environment = {
            **self._environ,
            "PULSE_LOG_LEVEL": logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        }
        try:
            worker.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "pulse_core.engine.workers.worker",
                str(theirs.fileno()), str(worker.index),
                pass_fds=(theirs.fileno(),), env=environment, stdin=asyncio.subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        reader, worker.writer = await asyncio.open_unix_connection(sock=ours)
        worker.reading = asyncio.create_task(
            self._read(worker, reader), name=f"probe-worker-{worker.index}"
        )
        for type_name, defaults in self._probes.items():
            worker.send((wire.START, type_name, self._classes[type_name], defaults))
        if not worker.starting:
            worker.restarting = None

    async def _start_probe(
        self, worker: _Worker, type_name: str, defaults: BaseModel | None
    ) -> str | None:
        answer = worker.started[type_name] = asyncio.get_running_loop().create_future()
        worker.send((wire.START, type_name, self._classes[type_name], defaults))
        return await answer

    async def _read(self, worker: _Worker, reader: asyncio.StreamReader) -> None:
        batches = self._batches
        while True:
            try:
                message = await wire.read(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            if message[0] == wire.RESULTS:
                for number, sent, ok, rtt_ms, error, details in message[1]:
                    batch = batches.get(number)
                    if batch is not None:  # else cancelled meanwhile
                        batch.take(
                            batch.sent[worker.index][sent],
                            ProbeResult(ok, rtt_ms, error, details or _NO_DETAILS),
                        )
            elif message[0] == wire.STARTED:
                worker.starting -= 1
                if worker.starting == 0:
                    worker.restarting = None
                answer = worker.started.pop(message[1], None)
                if answer is not None and not answer.done():
                    answer.set_result(message[2])
        await self._ended(worker)

    async def _ended(self, worker: _Worker) -> None:
        """The worker's end closed: at a stop, as planned; otherwise fail what it held and
        start it again."""
        process = worker.process
        code = None if process is None else await process.wait()
        if self._closing:
            return
        reason = f"probe worker {worker.index} ended (exit code {code})"
        ran_for_s = time.monotonic() - worker.spawned_at
        pause_s = worker.pause_s = restart_pause(worker.pause_s, ran_for_s)
        log.error("%s; starting it again in %g s", reason, pause_s)
        for batch in list(self._batches.values()):
            for position in batch.sent.get(worker.index, ()):
                batch.take(position, ProbeResult.failure(f"probe error: {reason}"))
        for answer in worker.started.values():
            if not answer.done():
                answer.set_result(f"the probe could not start: {reason}")
        worker.started.clear()
        worker.starting = 0
        worker.restarting = f"{reason}; it is starting again"
        if worker.writer is not None:
            worker.writer.close()
        await asyncio.sleep(pause_s)
        if not self._closing:
            await self._spawn(worker)
