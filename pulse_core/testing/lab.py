"""Test hosts that really exist, in network namespaces this test run creates and removes.

Loopback answers everything, so a host that stays silent, drops some packets or is
unreachable has to be built: :func:`lab_host` makes a namespace joined to this one by a veth
pair, serving three prefixes of 198.18.0.0/15 (RFC 2544's benchmarking range, never routed on
the Internet, so no test can reach a real machine):

- ``answering``: every address answers ping (a ``local`` route), until made silent or lossy;
- ``unreachable``: the namespace routes it nowhere and answers with ICMP destination
  unreachable, as a router does;
- the link's own /30.

:func:`run_isolated` runs a Python script in a throw-away namespace that has nothing but
loopback, optionally with fewer capabilities: for what must not touch the real network (DNS
failures, no route) or the host's privileges.

Everything here needs root and iproute2; ``NETNS_SKIP_REASON`` says why when they are missing.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

LAB_RANGE = ipaddress.IPv4Network("198.18.0.0/15")
BLOCK_PREFIX = 20  # each lab host takes a random /20 of the range, so parallel runs don't clash
NAMESPACE_PREFIX = "pulse-t-"

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


@contextmanager
def lab_host() -> Iterator[LabHost]:
    """A namespace host on a random /20 of 198.18.0.0/15, removed afterwards whatever happens."""
    token = secrets.token_hex(3)
    namespace = f"{NAMESPACE_PREFIX}{token}"
    blocks = list(LAB_RANGE.subnets(new_prefix=BLOCK_PREFIX))
    block = blocks[secrets.randbelow(len(blocks))]
    link, answering, unreachable = _carve(block)
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
        yield host
    finally:
        # Deleting the namespace deletes the veth pair, and with it the routes through it.
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", outer], capture_output=True, check=False)


def _carve(
    block: ipaddress.IPv4Network,
) -> tuple[ipaddress.IPv4Network, ipaddress.IPv4Network, ipaddress.IPv4Network]:
    """A /20 split into the link's /30, 1,024 answering and 256 unreachable addresses."""
    quarters = list(block.subnets(new_prefix=22))
    link = next(quarters[0].subnets(new_prefix=30))
    unreachable = next(quarters[1].subnets(new_prefix=24))
    return link, quarters[2], unreachable


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
