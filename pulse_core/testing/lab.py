"""Test hosts that really exist, in network namespaces this test run creates and removes.

Loopback answers everything, so a host that stays silent, drops some packets or is
unreachable has to be built: :func:`lab_host` makes a namespace joined to this one by a veth
pair, serving three prefixes of 198.18.0.0/15 (RFC 2544's benchmarking range, never routed on
the Internet, so no test can reach a real machine):

- ``answering``: every address answers ping (a ``local`` route), until made silent or lossy;
- ``unreachable``: the namespace routes it nowhere and answers with ICMP destination
  unreachable, as a router does;
- the link's own /30.

The kernel here has no ``netem``, so latency is made in user space: :func:`delayed_host`
routes a /24 of the range into a TUN device whose reader thread answers each echo request
after a delay you choose (and can change, or drop a fraction of, while a test runs).

:func:`run_isolated` runs a Python script in a throw-away namespace that has nothing but
loopback, optionally with fewer capabilities: for what must not touch the real network (DNS
failures, no route) or the host's privileges.

Everything here needs root and iproute2; ``NETNS_SKIP_REASON`` says why when they are missing.
"""

from __future__ import annotations

import fcntl
import heapq
import ipaddress
import os
import random
import secrets
import select
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

LAB_RANGE = ipaddress.IPv4Network("198.18.0.0/15")
BLOCK_PREFIX = 20  # each lab host takes a random /20 of the range, so parallel runs don't clash
NAMESPACE_PREFIX = "pulse-t-"
#: ``linux/if_tun.h``: create a TUN device, packets without the 4-byte packet-information prefix
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

NETNS_SKIP_REASON: str | None = (
    "network namespaces need root"
    if os.geteuid() != 0
    else "network namespaces need iproute2 (ip)"
    if shutil.which("ip") is None
    else None
)
IPTABLES_SKIP_REASON: str | None = (
    "dropping a fraction of packets needs iptables (apt-get install -y iptables)"
    if shutil.which("iptables") is None
    else None
)


def _run(argv: Sequence[str]) -> None:
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {completed.stderr.strip()}")


@dataclass(frozen=True)
class LabHost:
    namespace: str
    #: every address of it answers ping, unless :meth:`go_silent` or :meth:`drop_requests`
    answering: ipaddress.IPv4Network
    #: the namespace answers "destination unreachable" for these
    unreachable: ipaddress.IPv4Network

    def address(self, index: int = 0) -> str:
        return str(self.answering[index + 1])

    def exec(self, *argv: str) -> None:
        _run(["ip", "netns", "exec", self.namespace, *argv])

    def go_silent(self) -> None:
        """Ignore every echo request, as a host behind a firewall that drops ping does."""
        self.exec("sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")

    def drop_requests(self, probability: float) -> None:
        """Drop each incoming echo request with ``probability`` (needs iptables)."""
        self.exec(
            "iptables",
            "-A",
            "INPUT",
            "-p",
            "icmp",
            "--icmp-type",
            "echo-request",
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            str(probability),
            "-j",
            "DROP",
        )

    def answer_again(self) -> None:
        """Undo :meth:`go_silent` and :meth:`drop_requests`: every echo request is answered."""
        self.exec("sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=0")
        if IPTABLES_SKIP_REASON is None:
            self.exec("iptables", "-F", "INPUT")


@contextmanager
def lab_host() -> Iterator[LabHost]:
    """A namespace host on a random /20 of 198.18.0.0/15, removed afterwards whatever happens."""
    token = secrets.token_hex(3)
    namespace = f"{NAMESPACE_PREFIX}{token}"
    link, answering, unreachable = _carve(_random_block())
    outer, inner = f"pt{token}o", f"pt{token}i"
    host = LabHost(namespace, answering, unreachable)
    _run(["ip", "netns", "add", namespace])
    try:
        _run(["ip", "link", "add", outer, "type", "veth", "peer", "name", inner])
        _run(["ip", "link", "set", inner, "netns", namespace])
        _run(["ip", "addr", "add", f"{link[1]}/{link.prefixlen}", "dev", outer])
        _run(["ip", "link", "set", outer, "up"])
        for prefix in (answering, unreachable):
            _run(["ip", "route", "add", str(prefix), "via", str(link[2])])
        host.exec("ip", "link", "set", "lo", "up")
        host.exec("ip", "addr", "add", f"{link[2]}/{link.prefixlen}", "dev", inner)
        host.exec("ip", "link", "set", inner, "up")
        host.exec("ip", "route", "add", "local", str(answering), "dev", "lo")
        host.exec("ip", "route", "add", "unreachable", str(unreachable))
        host.exec("sysctl", "-qw", "net.ipv4.ip_forward=1")  # else no ICMP error is sent
        # A router sends one ICMP error per second to each host; here every error goes to
        # this one host, and tests and benchmarks expect one per unreachable address.
        host.exec("sysctl", "-qw", "net.ipv4.icmp_ratelimit=0")
        yield host
    finally:
        # Deleting the namespace deletes the veth pair, and with it the routes through it.
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", outer], capture_output=True, check=False)


def _random_block() -> ipaddress.IPv4Network:
    """A /20 of the lab range that no route of this namespace touches yet."""
    routes = subprocess.run(["ip", "-4", "route", "show"], capture_output=True, text=True).stdout
    in_use = []
    for line in routes.splitlines():
        try:
            in_use.append(ipaddress.IPv4Network(line.split()[0], strict=False))
        except ValueError:
            continue  # "default" and the like
    free = [
        block
        for block in LAB_RANGE.subnets(new_prefix=BLOCK_PREFIX)
        if not any(block.overlaps(route) for route in in_use)
    ]
    if not free:
        raise RuntimeError(f"every /{BLOCK_PREFIX} of {LAB_RANGE} is in use by lab hosts")
    return free[secrets.randbelow(len(free))]


def _carve(
    block: ipaddress.IPv4Network,
) -> tuple[ipaddress.IPv4Network, ipaddress.IPv4Network, ipaddress.IPv4Network]:
    """A /20 split into the link's /30, 1,024 answering and 256 unreachable addresses."""
    quarters = list(block.subnets(new_prefix=22))
    link = next(quarters[0].subnets(new_prefix=30))
    unreachable = next(quarters[1].subnets(new_prefix=24))
    return link, quarters[2], unreachable


class DelayedHost:
    """A /24 whose every address answers ping after ``delay_ms``, from a thread of this process.

    ``delay_ms`` and ``loss`` (the fraction of requests left unanswered, 1.0 for a silent
    host) may be changed at any time; the next request follows them. Replies keep the order of
    their due times, so a lower delay set later never overtakes replies already waiting.
    """

    def __init__(self, device: int, prefix: ipaddress.IPv4Network, delay_ms: float) -> None:
        self.prefix = prefix
        self.delay_ms = delay_ms
        self.loss = 0.0
        self.answered = 0
        self._device = device
        self._stop_reading, self._stop_writing = os.pipe()
        self._thread = threading.Thread(target=self._serve, name=f"lab {prefix}", daemon=True)

    def address(self, index: int = 0) -> str:
        return str(self.prefix[index + 1])

    def go_silent(self) -> None:
        self.loss = 1.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        os.write(self._stop_writing, b"x")
        self._thread.join()
        os.close(self._stop_reading)
        os.close(self._stop_writing)

    def _serve(self) -> None:
        waiting: list[tuple[float, int, bytes]] = []
        order = 0
        while True:
            timeout = max(0.0, waiting[0][0] - time.monotonic()) if waiting else None
            readable, _, _ = select.select([self._device, self._stop_reading], [], [], timeout)
            if self._stop_reading in readable:
                return
            if self._device in readable:
                reply = echo_reply_to(os.read(self._device, 65535))
                if reply is not None and random.random() >= self.loss:
                    order += 1
                    heapq.heappush(waiting, (time.monotonic() + self.delay_ms / 1000, order, reply))
            now = time.monotonic()
            while waiting and waiting[0][0] <= now:
                os.write(self._device, heapq.heappop(waiting)[2])
                self.answered += 1


def echo_reply_to(packet: bytes) -> bytes | None:
    """The echo reply to an IPv4 echo request, or ``None`` for any other packet.

    Swapping the addresses leaves the IP checksum as it is (a sum does not depend on order);
    the ICMP type going from 8 to 0 lowers the ICMP sum by 0x0800, which RFC 1624's
    incremental update adds back to the checksum.
    """
    if len(packet) < 28 or packet[0] >> 4 != 4 or packet[9] != 1:
        return None
    header = (packet[0] & 0x0F) * 4
    if len(packet) < header + 8 or packet[header] != 8:
        return None
    (checksum,) = struct.unpack_from("!H", packet, header + 2)
    total = checksum + 0x0800
    checksum = (total & 0xFFFF) + (total >> 16)
    return b"".join(
        (
            packet[:12],
            packet[16:20],
            packet[12:16],
            packet[20:header],
            b"\x00",
            packet[header + 1 : header + 2],
            struct.pack("!H", checksum),
            packet[header + 4 :],
        )
    )


@contextmanager
def delayed_host(delay_ms: float) -> Iterator[DelayedHost]:
    """A /24 of the lab range answering ping after ``delay_ms``, removed afterwards whatever
    happens (closing the TUN device deletes it, and its routes with it)."""
    token = secrets.token_hex(3)
    name = f"pt{token}d"
    quarters = list(_random_block().subnets(new_prefix=22))
    link = next(quarters[0].subnets(new_prefix=30))
    prefix = next(quarters[3].subnets(new_prefix=24))
    device = os.open("/dev/net/tun", os.O_RDWR)
    try:
        fcntl.ioctl(device, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
        _run(["ip", "addr", "add", f"{link[1]}/{link.prefixlen}", "dev", name])
        _run(["ip", "link", "set", name, "up"])
        _run(["ip", "route", "add", str(prefix), "dev", name])
        host = DelayedHost(device, prefix, delay_ms)
        host.start()
        try:
            yield host
        finally:
            host.stop()
    finally:
        os.close(device)


def run_isolated(
    script: str,
    *args: str,
    sysctls: Mapping[str, str] | None = None,
    drop_capabilities: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (with ``args`` as ``sys.argv[1:]``) with this Python in a new network
    namespace that has only loopback.

    ``sysctls`` are set in that namespace first (they are per namespace, so the host's stay
    untouched); ``drop_capabilities`` (``"net_raw"``) are removed from the script's process.
    """
    steps = ["ip link set lo up"]
    steps += [f"sysctl -qw {name}='{value}'" for name, value in (sysctls or {}).items()]
    python = [sys.executable, "-c", script, *args]
    if drop_capabilities:
        dropped = ",".join(f"-{name}" for name in drop_capabilities)
        python = ["setpriv", f"--inh-caps={dropped}", f"--bounding-set={dropped}", *python]
    command = " && ".join(steps) + ' && exec "$@"'
    return subprocess.run(
        ["unshare", "--net", "--", "sh", "-c", command, "sh", *python],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
