"""The process that reads and encodes history exports for the web server, and its children.

Started by :mod:`pulse_core.web.api.export_workers` as ``python -m
pulse_core.web.api.export_worker FD MODULE`` (``FD``: its end of a packet socket pair;
``MODULE``: the store's page source), it imports the encoder and the store's reader once,
says ``ready``, then forks for every export: a process started per export would spend
0.5-0.7 s importing them, more than a whole daily export of 10,000 endpoints. It holds no
connection and runs no thread, so a ``fork`` of it is safe.

An export arrives as a message naming the module of its page source (imported here before
forking, so no child imports it again), with one stream socket per share. The child plans
the pages on a connection of its own (the store's plan: one plan for every share), closes
it, forks a grandchild per further share, and each process then reads and encodes pages
``share, share + shares, ...`` and writes them to its socket as frames: ``P`` a page's
bytes (empty for a page without rows, so the shares keep in step), ``E`` the end, ``X``
an error's text. The web server reads the shares in turn, page by page; a share waits
once its socket and the web server's buffer of it (``READ_LIMIT``, 2 MB at most) are
full, so it is a few pages at most ahead of the client, and memory stays flat.

Every process of an export ends when the web server closes its socket (the client went
away, or the server stopped), and the forking process ends when its control socket closes.
"""

from __future__ import annotations

import importlib
import os
import pickle
import signal
import socket
import struct
import sys
from collections.abc import Sequence
from typing import Any

from pulse_core.web.api.export_formats import EndpointColumns, RowEncoder, encoded_page

#: a frame's head: its kind (``P``, ``E``, ``X``) and the length of what follows
FRAME = struct.Struct(">cI")
PAGE, END, ERROR = b"P", b"E", b"X"
#: the most shares an export is read in (one socket each)
MOST_SHARES = 4
#: added to the niceness of the forking process and every export's worker: they use every
#: core there is, and the Pulse process (probing, its event loop) must get a core as soon
#: as it wakes, not wait for a time slice behind them
NICENESS = 10
#: what the forking process sends once it has imported the store's reader
READY = b"ready"
#: the export's description: its length, then its pickle (on the first share's socket)
JOB_LENGTH = struct.Struct(">Q")

#: what an export's processes are given: the page source, ``kind`` (csv or json), the bucket
#: and each endpoint's four columns by id
Job = tuple[Any, str, str, dict[str, EndpointColumns]]


def send_frame(sock: socket.socket, kind: bytes, body: bytes = b"") -> None:
    sock.sendall(FRAME.pack(kind, len(body)))
    if body:
        sock.sendall(body)


def error_text(error: BaseException) -> str:
    """An error's first line, as a person reads it (the driver's own reason, without
    SQLAlchemy's links), or its type when it has no text."""
    message = str(getattr(error, "orig", None) or error).strip()
    return message.splitlines()[0] if message else type(error).__name__


def _receive_job(sock: socket.socket) -> Job:
    length = JOB_LENGTH.unpack(_exactly(sock, JOB_LENGTH.size))[0]
    job: Job = pickle.loads(_exactly(sock, length))
    return job


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        part = sock.recv(size - len(data))
        if not part:
            raise ConnectionError("the web server closed the export")
        data += part
    return bytes(data)


def _run_share(job: Job, pages: Sequence[Any], sock: socket.socket) -> None:
    """Read and encode ``pages``, one frame each, then the end."""
    source, kind, bucket, endpoints = job
    encoder = RowEncoder(kind, bucket, endpoints)
    try:
        for page in pages:
            send_frame(sock, PAGE, encoded_page(encoder, source.read(page)))
        source.close()
    except (BrokenPipeError, ConnectionResetError):  # the web server stopped reading
        return
    except Exception as error:  # the export's reason, for the web server to report
        send_frame(sock, ERROR, error_text(error).encode())
        return
    send_frame(sock, END)


def run_export(fds: Sequence[int]) -> None:
    """One export, in a child of the forking process: plan, share out, read and encode."""
    socks = [socket.socket(fileno=fd) for fd in fds]
    try:
        job = _receive_job(socks[0])
    except ConnectionError:
        return
    source = job[0]
    try:
        pages = source.plan()
        source.close()  # each share opens a connection of its own, after the fork
    except Exception as error:
        send_frame(socks[0], ERROR, error_text(error).encode())
        return
    count = len(socks)
    for share in range(count - 1, 0, -1):
        mine = pages[share::count]
        if not mine:
            send_frame(socks[share], END)
        elif os.fork() == 0:
            for other in socks[:share]:  # a share that dies must leave its socket closed
                other.close()
            _run_share(job, mine, socks[share])
            return
        socks[share].close()
    _run_share(job, pages[0::count], socks[0])


def serve(control: socket.socket, module: str) -> None:
    """Import ``module``, say ``ready``, then fork a child per export received on
    ``control`` until it closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    # Ctrl-C in a terminal reaches every process of the group; the web server ends this one
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(NICENESS)
    importlib.import_module(module)
    try:
        control.send(READY)
    except OSError:  # the web server stopped, or stopped this process, while it started
        return
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 4096, MOST_SHARES)
        except OSError:
            return
        if not message:
            return
        try:
            importlib.import_module(message.decode())
        except Exception as error:  # a store's reader that cannot load: that export fails
            with socket.socket(fileno=fds[0]) as first:
                reason = f"the export's reader cannot load: {error_text(error)}"
                send_frame(first, ERROR, reason.encode())
            for fd in fds[1:]:
                os.close(fd)
            continue
        if os.fork() == 0:
            control.close()
            try:
                run_export(fds)
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])), sys.argv[2])
