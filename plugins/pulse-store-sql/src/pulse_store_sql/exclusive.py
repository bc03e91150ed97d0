"""One running Pulse per SQLite database (``NodeSupport.claim_exclusive_use``).

The claim is a POSIX lock (``fcntl.lockf``) on a file beside the database,
``<database>.lock``, never on the database itself: SQLite takes POSIX locks on its own files,
and closing any descriptor of a file drops every POSIX lock the process holds on it. POSIX
locks belong to a process, so the same process claiming again is never refused; the
process-wide table below opens each lock file once, so closing one claim cannot drop
another's lock. The holder writes its pid into the file, for the message another process
shows. The lock ends with the process, however it ends: a killed Pulse leaves nothing to
clean up.
"""

from __future__ import annotations

import fcntl
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from pulse_core.contract import StoreInUse


@dataclass
class _Held:
    descriptor: int
    claims: int


_held: dict[Path, _Held] = {}
_held_guard = threading.Lock()


def lock_path(database: Path) -> Path:
    """The lock file of the SQLite database at ``database``."""
    return database.with_name(database.name + ".lock")


def claim(database: Path) -> Path:
    """Claim ``database`` for this process until :func:`release`; raises ``StoreInUse``
    when another process holds it. Returns the lock file, which ``release`` takes."""
    path = lock_path(database).resolve()
    with _held_guard:
        held = _held.get(path)
        if held is not None:
            held.claims += 1
            return path
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(descriptor)
            os.close(descriptor)
            raise StoreInUse(_in_use(database, path, holder)) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        _held[path] = _Held(descriptor, 1)
        return path


def release(path: Path) -> None:
    """End one claim of the lock file ``path``; the lock goes with the last one."""
    with _held_guard:
        held = _held[path]
        held.claims -= 1
        if held.claims == 0:
            del _held[path]
            os.close(held.descriptor)  # closing drops the lock; the file stays, harmless


def _holder(descriptor: int) -> int | None:
    """The pid the holder wrote, if it wrote one already."""
    text = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


def _in_use(database: Path, path: Path, holder: int | None) -> str:
    who = "another Pulse" if holder is None else f"another Pulse (pid {holder})"
    return (
        f"the database {database} is in use by {who}, which holds {path}: stop the other "
        "Pulse, or use a postgresql:// store to run several nodes"
    )
