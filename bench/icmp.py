"""One round of ICMP echo to many loopback addresses, by Pulse and by the tools people compare it to.

Every contender runs in a process of its own and is measured the same way: CPU seconds (user +
system) and wall seconds of the round, and how many addresses answered. For Python contenders
the round is timed inside the child (``process_time`` around the round, so the interpreter's
start-up and imports are not counted); fping is timed by the kernel's accounting of the child
(its start-up is a few hundred microseconds, part of its real cost); blackbox_exporter is timed
from ``/proc/<pid>/stat`` of the exporter process alone while a separate client process drives
one ``/probe`` request per address (the Prometheus side of a scrape is not counted).

Run one contender: ``python bench/icmp.py pulse-engine --count 10000`` prints a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

TIMEOUT_S = 2.0
PAYLOAD_SIZE = 56
BLACKBOX_CONCURRENCY = 100
BLACKBOX_MODULES = """\
modules:
  icmp:
    prober: icmp
    timeout: 5s
    icmp:
      preferred_ip_protocol: ip4
"""


@dataclass
class Round:
    """What one contender did in one round."""

    contender: str
    checks: int
    answered: int
    cpu_s: float
    wall_s: float

    @property
    def us_per_check(self) -> float:
        return self.cpu_s / self.checks * 1e6


def loopback_addresses(count: int) -> list[str]:
    """Distinct addresses of 127.0.0.0/8 (all of which answer), avoiding 127.0.0.0/16."""
    return [
        f"127.{1 + index // 62500}.{index // 250 % 250}.{index % 250 + 1}" for index in range(count)
    ]


class Stopwatch:
    """CPU and wall seconds of the ``with`` block, in this process."""

    def __enter__(self) -> Stopwatch:
        self.cpu_s, self.wall_s = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cpu_s = time.process_time() - self.cpu_s
        self.wall_s = time.perf_counter() - self.wall_s


def _pulse_engine(name: str, addresses: list[str]) -> Round:
    """The bare engine: a future per ping, one socket, one timer for all deadlines.

    Timed is the second round of a running engine: addresses are parsed once per
    configuration in Pulse, and sockets opened once at start-up.
    """
    from pulse_probe_icmp.addresses import parse_ip_literal
    from pulse_probe_icmp.engine import IcmpEngine

    async def run() -> Round:
        engine = IcmpEngine()
        engine.start()
        loop = asyncio.get_running_loop()
        parsed = [address for address in map(parse_ip_literal, addresses) if address]

        async def one_round() -> int:
            deadline = loop.time() + TIMEOUT_S
            futures = [engine.ping(address, deadline, PAYLOAD_SIZE) for address in parsed]
            return sum([isinstance(await future, float) for future in futures])

        await one_round()
        with Stopwatch() as watch:
            answered = await one_round()
        engine.close()
        return Round(name, len(addresses), answered, watch.cpu_s, watch.wall_s)

    return asyncio.run(run())


def _pulse_probe(name: str, addresses: list[str]) -> Round:
    """What the scheduler pays per check: a task running ``IcmpProbe.check`` per endpoint,
    timed in the second round as for the engine."""
    from pulse_core.models import Endpoint
    from pulse_probe_icmp import IcmpProbe

    async def run() -> Round:
        probe = IcmpProbe()
        await probe.start()
        endpoints = [
            Endpoint(f"e{index}", address, "bench", "icmp", address, timeout_ms=int(TIMEOUT_S * 1000))
            for index, address in enumerate(addresses)
        ]

        async def one_round() -> int:
            tasks = [asyncio.create_task(probe.check(endpoint)) for endpoint in endpoints]
            return sum([(await task).ok for task in tasks])

        await one_round()
        with Stopwatch() as watch:
            answered = await one_round()
        await probe.close()
        return Round(name, len(addresses), answered, watch.cpu_s, watch.wall_s)

    return asyncio.run(run())


def _icmplib(name: str, addresses: list[str]) -> Round:
    """``async_multiping`` as documented: a socket and a task per address. 200 at once, its
    best setting here: more (up to one per address) lose replies and cost more CPU."""
    from icmplib import async_multiping

    with Stopwatch() as watch:
        hosts = asyncio.run(
            async_multiping(addresses, count=1, interval=0, timeout=TIMEOUT_S, concurrent_tasks=200)
        )
    answered = sum(host.is_alive for host in hosts)
    return Round(name, len(addresses), answered, watch.cpu_s, watch.wall_s)


def _fping(name: str, addresses: list[str]) -> Round:
    """fping's fastest settings: no wait between packets (``-i 0``), no retry."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as targets:
        targets.write("\n".join(addresses) + "\n")
        targets.flush()
        argv = ["fping", "-a", "-r", "0", "-i", "0", "-t", str(int(TIMEOUT_S * 1000)), "-f", targets.name]
        wall = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert child.stdout is not None
        alive = child.stdout.read().split()
        _, _, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - wall
    return Round(name, len(addresses), len(alive), usage.ru_utime + usage.ru_stime, wall)


def _blackbox(name: str, addresses: list[str]) -> Round:
    """The exporter's CPU while a client process asks it to probe each address once."""
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "blackbox.yml"
        config.write_text(BLACKBOX_MODULES)
        port = _free_port()
        exporter = subprocess.Popen(
            [
                "prometheus-blackbox-exporter",
                f"--config.file={config}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for_port(port)
            before = _process_cpu_s(exporter.pid)
            wall = time.perf_counter()
            client = subprocess.run(
                [sys.executable, __file__, "blackbox-client", "--port", str(port)],
                input="\n".join(addresses),
                capture_output=True,
                text=True,
                check=True,
            )
            wall = time.perf_counter() - wall
            cpu = _process_cpu_s(exporter.pid) - before
        finally:
            exporter.terminate()
            exporter.wait()
    return Round(name, len(addresses), int(client.stdout), cpu, wall)


async def _drive_blackbox(port: int, addresses: list[str]) -> int:
    """``/probe?module=icmp&target=...`` for every address, ``BLACKBOX_CONCURRENCY`` at once."""
    import httpx

    queue: asyncio.Queue[str] = asyncio.Queue()
    for address in addresses:
        queue.put_nowait(address)
    answered = 0
    limits = httpx.Limits(max_connections=BLACKBOX_CONCURRENCY)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal answered
            while not queue.empty():
                target = queue.get_nowait()
                response = await client.get("/probe", params={"module": "icmp", "target": target})
                answered += "\nprobe_success 1\n" in response.text

        await asyncio.gather(*(worker() for _ in range(BLACKBOX_CONCURRENCY)))
    return answered


def _process_cpu_s(pid: int) -> float:
    """User + system CPU of ``pid`` from ``/proc/<pid>/stat`` (fields 14 and 15, in ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    give_up = time.monotonic() + timeout_s
    while time.monotonic() < give_up:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


CONTENDERS: dict[str, Callable[[str, list[str]], Round]] = {
    "fping": _fping,
    "pulse-engine": _pulse_engine,
    "pulse-probe": _pulse_probe,
    "icmplib": _icmplib,
    "blackbox_exporter": _blackbox,
}
#: what a contender needs installed, when it is not Python
COMMANDS = {"fping": "fping", "blackbox_exporter": "prometheus-blackbox-exporter"}


def measure(contender: str, count: int) -> Round:
    """Run ``contender`` in a fresh process, so no contender warms another's caches or heap."""
    completed = subprocess.run(
        [sys.executable, __file__, contender, "--count", str(count)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr.strip().splitlines()[-1] if completed.stderr else "failed")
    return Round(**json.loads(completed.stdout))


def missing_command(contender: str) -> str | None:
    command = COMMANDS.get(contender)
    return command if command is not None and shutil.which(command) is None else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("contender", choices=[*CONTENDERS, "blackbox-client"])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.contender == "blackbox-client":
        print(asyncio.run(_drive_blackbox(args.port, sys.stdin.read().split())))
        return
    result = CONTENDERS[args.contender](args.contender, loopback_addresses(args.count))
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
