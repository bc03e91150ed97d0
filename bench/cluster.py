"""The cluster under a stopwatch: real ``pulse run`` nodes on one PostgreSQL database.

``failover``: three nodes share ICMP endpoints on loopback; one is killed with ``SIGKILL``
and the clock runs from the kill to the first stored check of each endpoint it owned (its
share is computed with :class:`pulse_core.cluster.ownership.Ownership`, the nodes' own rule,
and compared with the share it logged). Detection is the first survivor's log line saying it
now shares with one node fewer. The killed node starts again, the cluster settles, and the
next run kills the next node. docs/cluster.md bounds the time by the lease (three
heartbeats), a heartbeat to notice, and one interval to the new owner's first check.

``share``: the same endpoints on one node, then on two, each time on a fresh database of
the same layout. Over a steady window: checks per second (counted in the store), CPU of each
node (``/proc/<pid>/stat``), CPU of the PostgreSQL backends serving them, and PostgreSQL's
write load per check (``pg_stat_database`` transactions and rows, database size growth).
Each measurement has a database of its own, so those counters are the nodes' alone.

``python bench/cluster.py failover --runs 10 --heartbeat 5`` and
``python bench/cluster.py share --endpoints 20000 --seconds 30`` each print a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import yaml
from psycopg import sql

from pulse_core.app import build_store, load_plugins, open_config
from pulse_core.cluster.ownership import Member, Ownership
from pulse_core.models import Endpoint
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.postgresql import POSTGRESQL_SERVER

TIMEOUT_MS = 500
#: the lines a node logs each time the live members change (pulse_core/cluster/runtime.py)
SHARE = re.compile(
    r"^(\S+ \S+) .*cluster of (\d+) live node\(s\): this node \('([\w-]+)'\) probes (\d+) of",
    re.MULTILINE,
)
#: what a node logs when it learns it was declared dead (pulse_core/cluster/membership.py)
LOST = "was declared dead"
#: what a node logs for the endpoints whose first state is up (the loopback addresses all
#: answer): a line each, or a count for a batch of many (``pulse_core.app.change_lines``)
FIRST_UP = re.compile(r"(?:(\d+) endpoints are up at their first checks|is up \(was unknown\))")
TICKS_PER_S = os.sysconf("SC_CLK_TCK")


# --- a database of the measurement's own ------------------------------------------------------


@contextlib.contextmanager
def database() -> Iterator[str]:
    """A fresh database on the test server, as a store URL; dropped afterwards."""
    name = f"pulse_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRESQL_SERVER, autocommit=True)
    except psycopg.OperationalError as error:
        raise SystemExit(f"no PostgreSQL at {POSTGRESQL_SERVER}: {error}") from None
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(POSTGRESQL_SERVER)._replace(path=f"/{name}"))
    finally:  # on a connection of its own: the server may have restarted meanwhile
        with psycopg.connect(POSTGRESQL_SERVER, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def configuration(url: str, endpoints: int, interval_s: int, heartbeat_s: float) -> str:
    """``endpoints`` ICMP endpoints on distinct loopback addresses (all of 127.0.0.0/8
    answers pings)."""
    targets = [
        {"type": "icmp", "group": "plant", "host": f"127.{1 + i // 62500}.{i // 250 % 250}.{1 + i % 250}"}
        for i in range(endpoints)
    ]
    document = {
        "version": 1,
        # One answer makes an endpoint up: its first state is reached in the first round,
        # so what follows is the steady state (a check each interval, no change).
        "defaults": {"interval_seconds": interval_s, "timeout_ms": TIMEOUT_MS, "retries": 0,
                     "success_threshold": 1},
        "groups": [{"id": "plant", "name": "Plant"}],
        "targets": targets,
        "storage": {"url": url},
        "cluster": {"heartbeat_seconds": heartbeat_s},
    }
    return yaml.safe_dump(document, sort_keys=False)


# --- nodes ------------------------------------------------------------------------------------


@dataclass
class Share:
    """One "cluster of N live node(s)" line of a node's log."""

    at: float
    live: int
    node: str
    owned: int


@dataclass
class Node:
    """A ``pulse run`` process of its own, logging to a file."""

    name: str
    config: Path
    log: Path
    port: int = field(default_factory=free_tcp_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulse_core.cli", "run", "--config", str(self.config),
             "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=self.log.open("ab"),
            env=dict(os.environ, PULSE_NODE_NAME=self.name),
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def shares(self, since: float = 0.0) -> list[Share]:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        found = [
            Share(datetime.strptime(at, "%Y-%m-%d %H:%M:%S,%f").timestamp(), int(live), node,
                  int(owned))
            for at, live, node, owned in SHARE.findall(text)
        ]
        return [share for share in found if share.at >= since]

    def cpu_s(self) -> float:
        assert self.process is not None
        return process_cpu_s(self.process.pid)


def process_cpu_s(pid: int) -> float:
    """User and system CPU seconds of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


@contextlib.contextmanager
def cluster(directory: Path, text: str, names: Sequence[str]) -> Iterator[list[Node]]:
    """Nodes ``names`` running configuration ``text``; stopped at the end, whatever happens.

    The first node has written the catalogue before the others start: nodes started at the
    same moment on an empty database both insert it, and one stops on the duplicate."""
    config = directory / "pulse.yaml"
    config.write_text(text)
    started = [Node(name, config, directory / f"{name}.log") for name in names]
    try:
        first, *others = started
        first.start()
        wait_for(lambda: bool(first.shares()), [first], 120, "the first node's share")
        for node in others:
            node.start()
        yield started
    finally:
        for node in started:
            node.stop()


def wait_for(predicate: Callable[[], bool], running: Sequence[Node], timeout_s: float,
             what: str) -> None:
    """Until ``predicate`` holds; a node that stops meanwhile ends the benchmark, with its log."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        for node in running:
            if node.process is not None and node.process.poll() is not None:
                raise SystemExit(f"{what}: node {node.name} stopped:\n{tail(node.log)}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"{node.name}:\n{tail(node.log)}" for node in running)
            raise SystemExit(f"{what}: not within {timeout_s:g} s\n{logs}")
        time.sleep(0.2)


def wait_for_shares(running: Sequence[Node], total: int, since: float, timeout_s: float) -> None:
    """Until every node has logged its share among all of them, the shares adding up to
    ``total`` (each node's latest line, logged after ``since``)."""

    def shared() -> bool:
        latest = [next(reversed(node.shares(since)), None) for node in running]
        return all(s is not None and s.live == len(running) for s in latest) and sum(
            s.owned for s in latest if s is not None) == total

    wait_for(shared, running, timeout_s, f"{len(running)} nodes sharing {total:,} endpoints")


def wait_for_first_states(running: Sequence[Node], total: int, timeout_s: float) -> None:
    """Until every endpoint's first state was logged (by its owner): the first round is
    over, with the writes it brings (a snapshot and an outbox entry per endpoint)."""
    wait_for(
        lambda: sum(first_up(node.log) for node in running) >= total,
        running, timeout_s, "every endpoint's first state",
    )


def first_up(log: Path) -> int:
    """How many endpoints the node's log says came up at their first checks."""
    return sum(int(count or 1) for count in FIRST_UP.findall(log.read_text(errors="replace")))


def tail(log: Path) -> str:
    """The log's last lines, for a failure's message (a traceback's last line alone names
    too little)."""
    lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    return "\n".join(lines[-25:]) if lines else "(empty log)"


# --- failover ---------------------------------------------------------------------------------


@dataclass
class Takeover:
    """One kill: seconds from it to the survivors noticing, and to the new owners' first
    checks of the killed node's endpoints (the first and the last of them)."""

    killed: str
    endpoints: int
    logged_share: int
    detected_s: float
    first_check_s: float
    last_check_s: float


async def first_checks_after(url: str, ids: list[str], since: float, timeout_s: float
                             ) -> dict[str, float]:
    """Each endpoint's first stored check that started at or after ``since``, read from the
    store until every one has one (or ``timeout_s`` passed)."""
    store = build_store(url, load_plugins())
    await store.open()
    first: dict[str, float] = {}
    try:
        deadline = time.monotonic() + timeout_s
        while len(first) < len(ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            waiting = [i for i in ids if i not in first]
            async for page in store.checks_many(waiting, since, time.time() + 60):
                for check in page:
                    first.setdefault(check.endpoint_id, check.ts)
    finally:
        await store.close()
    return first


def failover(runs: int, endpoints: int, interval_s: int, heartbeat_s: float) -> dict[str, Any]:
    lease_s = 3 * heartbeat_s
    bound_s = lease_s + heartbeat_s + interval_s
    names = ("a", "b", "c")
    takeovers: list[Takeover] = []
    with database() as url, tempfile.TemporaryDirectory() as directory:
        text = configuration(url, endpoints, interval_s, heartbeat_s)
        with cluster(Path(directory), text, names) as running:
            config = open_config(running[0].config, load_plugins())
            ownership = Ownership([Member(n, config.cluster.default_site) for n in names],
                                  config.cluster.default_site)
            wait_for_shares(running, endpoints, 0.0, 60 + 4 * heartbeat_s)
            for run in range(runs):
                victim = running[run % len(running)]
                survivors = [node for node in running if node is not victim]
                owned = [e.id for e in ownership.owned_by(victim.name, config.endpoints)]
                logged = victim.shares()[-1].owned
                time.sleep(interval_s)  # every endpoint checked by its present owner
                killed_at = time.time()
                victim.kill()
                first = asyncio.run(first_checks_after(url, owned, killed_at, 4 * bound_s))
                missing = len(owned) - len(first)
                if missing:
                    raise SystemExit(f"run {run + 1}: {missing} of {len(owned)} endpoints of "
                                     f"{victim.name} not checked within {4 * bound_s:g} s")
                noticed = [s.at for node in survivors for s in node.shares(killed_at)
                           if s.live == len(survivors)]
                takeovers.append(Takeover(
                    victim.name, len(owned), logged,
                    round(min(noticed) - killed_at, 2) if noticed else float("nan"),
                    round(min(first.values()) - killed_at, 2),
                    round(max(first.values()) - killed_at, 2),
                ))
                print(f"failover: {asdict(takeovers[-1])}", file=sys.stderr, flush=True)
                if run + 1 < runs:
                    restarted_at = time.time()
                    victim.start()
                    wait_for_shares(running, endpoints, restarted_at, 60 + 4 * heartbeat_s)
    last = [t.last_check_s for t in takeovers]
    detected = [t.detected_s for t in takeovers]
    return {
        "runs": runs, "endpoints": endpoints, "interval_s": interval_s,
        "heartbeat_s": heartbeat_s, "lease_s": lease_s, "bound_s": bound_s,
        "detected_p50_s": round(statistics.median(detected), 2),
        "detected_max_s": round(max(detected), 2),
        "failover_p50_s": round(statistics.median(last), 2),
        "failover_max_s": round(max(last), 2),
        "first_check_p50_s": round(statistics.median(t.first_check_s for t in takeovers), 2),
        "share_mismatches": sum(t.endpoints != t.logged_share for t in takeovers),
        "takeovers": [asdict(t) for t in takeovers],
    }


# --- sharing the load -------------------------------------------------------------------------


@dataclass
class Load:
    """What a set of nodes did over a steady window."""

    nodes: int
    window_s: float
    checks: int
    checks_per_s: float
    node_cpu_pct: list[float]
    postgresql_cpu_pct: float
    commits_per_check: float
    rows_inserted_per_check: float
    rows_updated_per_check: float
    bytes_per_check: float
    #: rows written (inserted, updated or deleted) per check, by table
    rows_per_check_by_table: dict[str, float]
    endpoints_checked_too_often: int
    endpoints_not_checked: int
    #: times a node learnt it had been declared dead, from its start to the window's end
    memberships_lost: int


@dataclass
class Counters:
    at: float
    node_cpu: list[float]
    backend_cpu: dict[int, float]
    commits: int
    inserted: int
    updated: int
    size: int
    tables: dict[str, int]


def counters(url: str, running: Sequence[Node]) -> Counters:
    """The nodes' CPU and the database's counters, now. A connection of its own each time,
    so the statistics are read afresh; its one transaction is left out of the commits."""
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(POSTGRESQL_SERVER, autocommit=True) as admin:
        commits, inserted, updated = admin.execute(
            "SELECT xact_commit, tup_inserted, tup_updated FROM pg_stat_database "
            "WHERE datname = %s", (name,)).fetchone() or (0, 0, 0)
        size = admin.execute("SELECT pg_database_size(%s)", (name,)).fetchone()[0]  # type: ignore[index]
        pids = [row[0] for row in admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
    with psycopg.connect(url, autocommit=True) as own:
        tables = {name: written for name, written in own.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables")}
    backend_cpu = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            backend_cpu[pid] = process_cpu_s(pid)
    return Counters(time.time(), [node.cpu_s() for node in running], backend_cpu,
                    commits, inserted, updated, size, tables)


async def checks_between(url: str, ids: list[str], start: float, end: float) -> Counter[str]:
    store = build_store(url, load_plugins())
    await store.open()
    counts: Counter[str] = Counter()
    try:
        async for page in store.checks_many(ids, start, end):
            counts.update(check.endpoint_id for check in page)
    finally:
        await store.close()
    return counts


def load(nodes: int, endpoints: int, interval_s: int, heartbeat_s: float, seconds: float
         ) -> Load:
    names = [chr(ord("a") + i) for i in range(nodes)]
    with database() as url, tempfile.TemporaryDirectory() as directory:
        text = configuration(url, endpoints, interval_s, heartbeat_s)
        with cluster(Path(directory), text, names) as running:
            config = open_config(running[0].config, load_plugins())
            wait_for_shares(running, endpoints, 0.0, 120)
            wait_for_first_states(running, endpoints, 10 * interval_s + 60)
            time.sleep(1)
            before = counters(url, running)
            time.sleep(seconds)
            after = counters(url, running)
            lost = sum(node.log.read_text(errors="replace").count(LOST) for node in running)
            time.sleep(2)  # the window's last checks written
            ids = [endpoint.id for endpoint in config.endpoints]
            counts = asyncio.run(checks_between(url, ids, before.at, after.at))
    window = after.at - before.at
    checks = sum(counts.values()) or 1
    expected = window / interval_s
    backend_s = sum(cpu - before.backend_cpu.get(pid, 0.0) for pid, cpu in after.backend_cpu.items())
    return Load(
        nodes, round(window, 1), checks, round(checks / window, 1),
        [round(100 * (b - a) / window, 1) for a, b in zip(before.node_cpu, after.node_cpu)],
        round(100 * backend_s / window, 1),
        round((after.commits - before.commits - 1) / checks, 4),
        round((after.inserted - before.inserted) / checks, 3),
        round((after.updated - before.updated) / checks, 3),
        round((after.size - before.size) / checks, 1),
        {table: round((written - before.tables.get(table, 0)) / checks, 3)
         for table, written in sorted(after.tables.items())
         if written != before.tables.get(table, 0)},
        sum(1 for i in ids if counts[i] > expected + 1),
        sum(1 for i in ids if counts[i] == 0),
        lost,
    )


def share(endpoints: int, interval_s: int, heartbeat_s: float, seconds: float
          ) -> dict[str, Any]:
    single = load(1, endpoints, interval_s, heartbeat_s, seconds)
    print(f"share: {asdict(single)}", file=sys.stderr, flush=True)
    pair = load(2, endpoints, interval_s, heartbeat_s, seconds)
    print(f"share: {asdict(pair)}", file=sys.stderr, flush=True)
    return {"endpoints": endpoints, "interval_s": interval_s, "heartbeat_s": heartbeat_s,
            "seconds": seconds,
            "load_average": os.getloadavg()[0], "single": asdict(single), "pair": asdict(pair)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    kill = commands.add_parser("failover", help="time from kill -9 to the takeover")
    kill.add_argument("--runs", type=int, default=10)
    kill.add_argument("--endpoints", type=int, default=60)
    kill.add_argument("--interval", type=int, default=2)
    kill.add_argument("--heartbeat", type=float, default=5.0)
    spread = commands.add_parser("share", help="one node against two on the same endpoints")
    spread.add_argument("--endpoints", type=int, default=20_000)
    spread.add_argument("--interval", type=int, default=10)
    spread.add_argument("--heartbeat", type=float, default=5.0)
    spread.add_argument("--seconds", type=float, default=30.0)
    arguments = parser.parse_args()
    if arguments.command == "failover":
        figures = failover(arguments.runs, arguments.endpoints, arguments.interval,
                           arguments.heartbeat)
    else:
        figures = share(arguments.endpoints, arguments.interval, arguments.heartbeat,
                        arguments.seconds)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
