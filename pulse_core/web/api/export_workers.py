"""History exports read and encoded in worker processes, streamed by the web server in order.

Why: an export read and encoded in the Pulse process shares its interpreter with probing,
state changes and rollups. A day of raw checks of 10,000 endpoints held it for 5-10 s
while checks fell due, and the daily export of 30 days took 1.6 s instead of 0.6 s while
the same process probed. In workers it holds neither the interpreter nor the event loop
(this process only passes their bytes on), and a large export uses every core: the pages
are dealt out to up to ``MOST_SHARES`` processes, one per core, and read back in turn.

A store offers this with ``History.bulk_read_source`` (:func:`pulse_core.web.api.history_pages
.page_source`): a picklable :class:`~pulse_core.store.PageSource` that
plans and reads the pages its bulk reads would hand over, on a connection of the process
that uses it. A store that declines (the default: a store read in its own process only)
keeps the export in this process, as before.

The workers are forked by one process (:mod:`pulse_core.web.api.export_worker`) that has
imported the encoder and the store's reader, so an export starts in milliseconds. Those
imports take it 0.5-0.7 s and about 70 MB of memory of its own, so it is started by the
first export (which is read in this process meanwhile, as it was before workers, so it
waits for nobody) and stopped after ``IDLE_S`` without an export. A worker that dies, or a
store that fails, ends the export with the reason in the log; the client sees the answer
cut short (the HTTP stream is not ended cleanly), and Pulse goes on.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import pickle
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping

from pulse_core.web.api.export_formats import EndpointColumns
from pulse_core.web.api.export_worker import END, FRAME, JOB_LENGTH, MOST_SHARES, PAGE, READY
from pulse_core.store import PageSource

log = logging.getLogger("pulse.export")

#: bytes a share's stream may hold before its worker waits: a page of raw CSV is about 0.8 MB
READ_LIMIT = 1 << 20
#: the forking process is stopped this long after the last export ended
IDLE_S = 600.0


class ExportFailed(RuntimeError):
    """An export's worker reported an error, or ended before the export did."""


def shares() -> int:
    """How many processes read an export: one per core this process may run on."""
    return max(1, min(MOST_SHARES, len(os.sched_getaffinity(0))))


class ExportWorkers:
    """The forking process, started on first use, and the exports handed to it."""

    def __init__(self, idle_s: float = IDLE_S) -> None:
        self._idle_s = idle_s
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        #: the forking process said it has imported the store's reader
        self._ready = False
        self._exports = 0  # under way
        self._idle: asyncio.TimerHandle | None = None

    def available(self, module: str) -> bool:
        """Whether exports go to workers now: the forking process is ready. If it is not
        running, it is started with ``module`` (the store's page source) imported, and this
        export stays in the Pulse process."""
        if self._ready and self._process is not None and self._process.poll() is None:
            return True
        self._running(module)
        try:
            assert self._control is not None
            self._ready = self._control.recv(len(READY), socket.MSG_DONTWAIT) == READY
        except BlockingIOError:  # still importing
            pass
        return self._ready

    async def bodies(
        self, source: PageSource, kind: str, bucket: str, endpoints: Mapping[str, EndpointColumns]
    ) -> AsyncIterator[bytes]:
        """Each page's rows encoded in ``kind`` (csv or json), in the order of the store's
        pages: the shares' sockets are read in turn, a page from each."""
        job = pickle.dumps((source, kind, bucket, endpoints), pickle.HIGHEST_PROTOCOL)
        pairs = [socket.socketpair() for _ in range(shares())]
        try:
            self._hand_over(type(source).__module__, [theirs.fileno() for _, theirs in pairs])
        finally:
            for _, theirs in pairs:
                theirs.close()
        self._exports += 1
        if self._idle is not None:
            self._idle.cancel()
        streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        try:
            for ours, _ in pairs:
                streams.append(await asyncio.open_unix_connection(sock=ours, limit=READ_LIMIT))
            first_writer = streams[0][1]
            first_writer.write(JOB_LENGTH.pack(len(job)) + job)
            await first_writer.drain()
            page = 0
            while True:
                reader = streams[page % len(streams)][0]
                kind_of, body = await _frame(reader)
                if kind_of == PAGE:
                    yield body
                    page += 1
                elif kind_of == END:
                    return
                else:
                    raise ExportFailed(f"the export stopped: {body.decode()}")
        except ExportFailed as error:
            log.error("history export cut short: %s", error)
            raise
        finally:
            for _, writer in streams:
                writer.close()
            for ours, _ in pairs[len(streams):]:
                ours.close()
            self._exports -= 1
            if not self._exports:
                self._stop_when_idle()

    def _hand_over(self, module: str, fds: list[int]) -> None:
        """Send an export's sockets to the forking process, starting it (again) if it is not
        running."""
        for attempt in (1, 2):
            control = self._running(module)
            try:
                socket.send_fds(control, [module.encode()], fds)
                return
            except OSError:
                if attempt == 2:
                    raise
                log.warning("the export worker process had ended: starting it again")
                self._stop()

    def _running(self, module: str) -> socket.socket:
        """The control socket of the forking process, started (again) if it has ended."""
        if self._control is None or self._process is None or self._process.poll() is not None:
            self._stop()
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            with theirs:
                self._process = subprocess.Popen(
                    [
                        sys.executable, "-m", "pulse_core.web.api.export_worker",
                        str(theirs.fileno()), module,
                    ],
                    pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                )
            self._control = ours
            self._stop_when_idle()
        return self._control

    def _stop_when_idle(self) -> None:
        """Stop the forking process ``idle_s`` from now, unless an export starts meanwhile."""
        if self._idle is not None:
            self._idle.cancel()
        self._idle = asyncio.get_running_loop().call_later(self._idle_s, self._stop)

    def _stop(self) -> None:
        """Close the control socket (the forking process ends at once) and reap it; exports
        under way go on in their own processes."""
        self._ready = False
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


async def _frame(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    try:
        kind, length = FRAME.unpack(await reader.readexactly(FRAME.size))
        return kind, await reader.readexactly(length) if length else b""
    except (asyncio.IncompleteReadError, ConnectionError):
        raise ExportFailed("an export worker process ended before the export was done") from None


#: one forking process serves every export of this process
export_workers = ExportWorkers()
atexit.register(export_workers._stop)
