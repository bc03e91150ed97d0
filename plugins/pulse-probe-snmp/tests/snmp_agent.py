"""Debian's net-snmp agent (``snmpd``) on loopback, for the snmp probe's tests.

Each agent is a process of its own with a configuration the test writes: a v2c community and
a v3 user with SHA and AES, nothing from /etc/snmp and not the system service. Stopping and
starting it again on the same port is a device restart: its ``sysUpTime`` starts over.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pulse_core.testing.listeners import free_udp_port

COMMUNITY = "plant-ro"
USER = "pulse"
AUTH_KEY = "auth-key-123"
PRIV_KEY = "priv-key-456"
#: what the agent answers for sysName.0 and sysServices.0
SYS_NAME = "press-7"
SYS_SERVICES = 72
#: loopback addresses the agent answers on: one device per address, as Pulse counts them
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
#: printed by snmpd (``-Lo``) once it listens
READY_LINE = b"NET-SNMP version"
START_TIMEOUT_S = 15


def snmpd_path() -> str | None:
    return shutil.which("snmpd") or shutil.which("snmpd", path="/usr/sbin:/sbin")


@dataclass
class SnmpAgent:
    folder: Path
    port: int = field(default_factory=free_udp_port)
    _process: asyncio.subprocess.Process | None = None
    #: reads the agent's log after start, so a full pipe never blocks it
    _drain: asyncio.Future[bytes] | None = None

    async def start(self) -> None:
        binary = snmpd_path()
        assert binary is not None, "snmpd is not installed"
        persistent = self.folder / "persistent"
        persistent.mkdir(parents=True, exist_ok=True)
        config = self.folder / "snmpd.conf"
        config.write_text(
            f"[snmp] persistentDir {persistent}\n"
            f"agentAddress {','.join(f'udp:{host}:{self.port}' for host in HOSTS)}\n"
            f"rocommunity {COMMUNITY} 127.0.0.0/8\n"
            f'createUser {USER} SHA "{AUTH_KEY}" AES "{PRIV_KEY}"\n'
            f"rouser {USER} priv\n"
            f"sysname {SYS_NAME}\n"
            f"sysservices {SYS_SERVICES}\n"
        )
        # -f foreground, -Lo log to stdout, -C only this configuration; MIBS= keeps the
        # agent from looking for MIB text files it does not need
        self._process = await asyncio.create_subprocess_exec(
            binary, "-f", "-Lo", "-C", "-c", str(config), "-p", str(self.folder / "snmpd.pid"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={"MIBS": "", "PATH": "/usr/bin:/bin"},
        )
        assert self._process.stdout is not None
        async with asyncio.timeout(START_TIMEOUT_S):
            while READY_LINE not in await self._process.stdout.readline():
                if self._process.returncode is not None:
                    raise RuntimeError("snmpd exited at start")
        self._drain = asyncio.ensure_future(self._process.stdout.read())

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()
        if self._drain is not None:
            await self._drain
        self._process = None
