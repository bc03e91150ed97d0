"""Whether the web API's port is free, and who holds it when it is not.

Checked before monitoring starts, so that a second ``pulse run`` on a busy port stops with
one line that says what to do, instead of starting probes and then dying in the web server
with a traceback.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path


class PortInUse(Exception):
    """The port is taken; the message names it, its holder when known, and the fix."""


#: how to choose another web port, the fix a busy one's message names
WEB_PORT_FIX = "set server.port in the configuration or pass --port"


def ensure_port_free(host: str, port: int, fix: str = WEB_PORT_FIX) -> None:
    """Bind ``host:port`` the way the web server will (address reuse on), then let it go;
    ``fix`` says how to choose another port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as trial:
        trial.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            trial.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise PortInUse(f"cannot listen on {host}:{port}: {error.strerror}") from error
            raise PortInUse(in_use_message(port, fix)) from error


def in_use_message(port: int, fix: str = WEB_PORT_FIX) -> str:
    holder = listening_pid(port)
    by = f" (by PID {holder})" if holder is not None else ""
    return f"port {port} is in use{by}: {fix}"


def listening_pid(port: int, proc: Path = Path("/proc")) -> int | None:
    """The process listening on TCP ``port``, read from ``/proc`` (Linux; ``None`` elsewhere
    or when that process belongs to another user)."""
    inodes = _listening_inodes(port, proc)
    if not inodes:
        return None
    for pid_dir in proc.iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            for fd in (pid_dir / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(pid_dir.name)
        except OSError:  # gone, or not ours to look at
            continue
    return None


def _listening_inodes(port: int, proc: Path) -> set[str]:
    listen_state = "0A"
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == listen_state and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes
