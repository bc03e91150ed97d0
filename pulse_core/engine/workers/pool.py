"""The main process's side of the probe workers: starting them, sending checks, taking results.

Each worker is a child process (:mod:`.worker`) on one end of a socket pair. An endpoint is
sent to its worker whole the first time it is checked there (and again when the configuration
gives it a new definition), by id after that. A batch of a type goes out as one message per
worker that holds some of its endpoints; the results come back in messages of their own and
are handed to the batch's ``report`` as they arrive.

A worker that ends (killed, or crashed by a plugin) fails the checks it held with the reason
and is started again with the probes it had; its endpoints are sent to it again as they are
checked. Pulse keeps monitoring meanwhile: the next run of each endpoint goes to the new
worker.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import sys
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
#: a worker that ends is started again at once, but not more often than this
RESTART_PAUSE_S = 1.0

_NO_DETAILS: Mapping[str, Any] = MappingProxyType({})


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
    #: positions sent to each worker (by index), for when a worker ends with them
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
        #: the endpoint objects sent to it, by id: sent again when the object changes
        self.endpoints: dict[str, Endpoint] = {}
        self.started: dict[str, asyncio.Future[str | None]] = {}
        self.reading: asyncio.Task[None] | None = None

    def send(self, message: Any) -> None:
        assert self.writer is not None, "the worker is started"
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
        items: dict[int, list[tuple[int, Any]]] = {}
        for position, endpoint in enumerate(endpoints):
            endpoint_id = endpoint.id
            worker = workers[hash(endpoint_id) % count]
            sent = worker.endpoints
            if sent.get(endpoint_id) is endpoint:
                item: tuple[int, Any] = (position, endpoint_id)
            else:
                sent[endpoint_id] = endpoint
                item = (position, wire.endpoint_fields(endpoint))
            per_worker = items.get(worker.index)
            if per_worker is None:
                per_worker = items[worker.index] = []
                batch.sent[worker.index] = []
            per_worker.append(item)
            batch.sent[worker.index].append(position)
        self._batches[number] = batch
        try:
            for index, worker_items in items.items():
                workers[index].send((wire.CHECK, number, type_name, worker_items))
            await batch.done
        except asyncio.CancelledError:
            for index in items:
                if workers[index].writer is not None:
                    workers[index].send((wire.CANCEL, number))
            raise
        finally:
            del self._batches[number]

    def forget(self, endpoints: Sequence[Endpoint]) -> None:
        """``endpoints`` left the configuration: the workers may let them go."""
        ids_by_worker: dict[int, list[str]] = {}
        for endpoint in endpoints:
            worker = self._workers[hash(endpoint.id) % len(self._workers)]
            if worker.endpoints.pop(endpoint.id, None) is not None:
                ids_by_worker.setdefault(worker.index, []).append(endpoint.id)
        for index, ids in ids_by_worker.items():
            self._workers[index].send((wire.FORGET, ids))

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
        worker.endpoints = {}
        worker.reading = asyncio.create_task(
            self._read(worker, reader), name=f"probe-worker-{worker.index}"
        )
        for type_name, defaults in self._probes.items():
            worker.send((wire.START, type_name, self._classes[type_name], defaults))

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
                for number, position, ok, rtt_ms, error, details in message[1]:
                    batch = batches.get(number)
                    if batch is not None:  # else cancelled meanwhile
                        batch.take(position, ProbeResult(ok, rtt_ms, error, details or _NO_DETAILS))
            elif message[0] == wire.STARTED:
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
        log.error("%s; starting it again", reason)
        for batch in list(self._batches.values()):
            for position in batch.sent.get(worker.index, ()):
                batch.take(position, ProbeResult.failure(f"probe error: {reason}"))
        for answer in worker.started.values():
            if not answer.done():
                answer.set_result(f"the probe could not start: {reason}")
        worker.started.clear()
        if worker.writer is not None:
            worker.writer.close()
        await asyncio.sleep(RESTART_PAUSE_S)
        if not self._closing:
            await self._spawn(worker)
