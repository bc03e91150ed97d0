"""Pulse's benchmark suite: everything ``bench/run`` measures, printed as one Markdown table.

Each part runs in processes of its own (``bench/icmp.py``, ``bench/pipeline.py``,
``bench/sustained.py`` and the API scripts next to this file), so one part's heap, caches or threads never colour another's
figures. What the comparison needs is installed first: Debian's ``fping`` and
``prometheus-blackbox-exporter`` with apt-get, ``icmplib`` with pip into this interpreter.
A part that cannot run is a row saying why, never a missing row.

Figures depend on the machine and on whatever else runs on it: compare rows of one run
(ratios), not runs of different days. ``--quick`` is the same suite, small enough for CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import icmp  # noqa: E402  (the benchmark scripts are files, not a package)

APT_PACKAGES = {"fping": "fping", "prometheus-blackbox-exporter": "prometheus-blackbox-exporter"}
PIP_PACKAGES = {"icmplib": "icmplib"}


@dataclass(frozen=True)
class Size:
    icmp_addresses: int
    sustained_endpoints: int
    sustained_seconds: float
    sustained_interval_s: int
    api_endpoints: int
    api_arguments: tuple[str, ...]
    metrics_arguments: tuple[str, ...]
    storage_arguments: tuple[str, ...]
    report_runs: int
    export_arguments: tuple[str, ...]
    live_arguments: tuple[str, ...]


#: The full exports part takes the best of two exports of each kind: a server's first export
#: is read in the Pulse process while the export worker process starts, the next in workers.
FULL = Size(10_000, 20_000, 60.0, 10, 10_000, ("--days", "30"), ("--repeat", "9"),
            ("--endpoints", "100", "--hours", "24"), 5,
            ("--endpoints", "10000", "--interval", "300", "--runs", "2"),
            ("--endpoints", "20000", "--outage", "2000", "--runs", "100", "--loads", "5",
             "--clients", "10"))
QUICK = Size(1_000, 600, 7.0, 2, 300, ("--days", "2", "--runs", "10", "--interval", "60"),
             ("--repeat", "2"), ("--endpoints", "10", "--hours", "2"), 1,
             ("--endpoints", "100", "--interval", "300", "--runs", "1"),
             ("--endpoints", "300", "--outage", "30", "--outage-interval", "2", "--runs", "5",
              "--loads", "1", "--clients", "2", "--baseline", "2"))


@dataclass(frozen=True)
class Row:
    part: str
    subject: str
    result: str
    goal: str = ""


# --- installing what Pulse is compared with ---------------------------------------------------


def install_missing() -> list[str]:
    """Install the missing comparison tools; return a note for each that could not be."""
    notes = []
    missing = [package for command, package in APT_PACKAGES.items() if shutil.which(command) is None]
    if missing:
        notes += _apt_install(missing)
    for module, package in PIP_PACKAGES.items():
        if _importable(module):
            continue
        completed = _run([sys.executable, "-m", "pip", "install", "-q", package])
        if completed.returncode != 0:
            notes.append(f"pip install {package} failed: {_last_line(completed.stderr)}")
    return notes


def _apt_install(packages: list[str]) -> list[str]:
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return [f"not installed (needs root and apt-get): {' '.join(packages)}"]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
    if _run(install, environment).returncode != 0:
        _run(["apt-get", "update", "-qq"], environment)
        completed = _run(install, environment)
        if completed.returncode != 0:
            return [f"apt-get install {' '.join(packages)} failed: {_last_line(completed.stderr)}"]
    return []


def _importable(module: str) -> bool:
    return _run([sys.executable, "-c", f"import {module}"]).returncode == 0


def _run(argv: list[str], environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, env=environment)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


# --- the parts --------------------------------------------------------------------------------


ICMP_CONTENDERS = {
    "fping": "fping (C, -i 0)",
    "pulse-engine": "Pulse IcmpEngine.ping",
    "pulse-probe": "Pulse IcmpProbe.check, a task per check",
    "icmplib": "icmplib async_multiping",
    "blackbox_exporter": "blackbox_exporter, exporter side",
}
ICMP_GOAL_RATIO = 1.5


def icmp_rows(size: Size) -> Iterator[Row]:
    part = f"ICMP, one round, {size.icmp_addresses:,} loopback addresses"
    rounds: dict[str, icmp.Round] = {}
    for contender, label in ICMP_CONTENDERS.items():
        missing = icmp.missing_command(contender)
        if missing is not None:
            yield Row(part, label, f"not measured: {missing} is not installed")
            continue
        try:
            rounds[contender] = icmp.measure(contender, size.icmp_addresses)
        except RuntimeError as error:
            yield Row(part, label, f"not measured: {error}")
            continue
        measured = rounds[contender]
        fping = rounds.get("fping")
        ratio = f" · {measured.us_per_check / fping.us_per_check:.2f}× fping" if fping else ""
        goal = ""
        if contender == "pulse-engine" and fping is not None:
            met = measured.us_per_check <= ICMP_GOAL_RATIO * fping.us_per_check
            goal = f"≤ {ICMP_GOAL_RATIO}× fping: {'met' if met else 'NOT met'}"
        yield Row(
            part,
            label,
            f"{measured.us_per_check:.1f} µs/check{ratio} · CPU {measured.cpu_s:.3f} s · "
            f"wall {measured.wall_s:.3f} s · {measured.answered:,}/{measured.checks:,} answered",
            goal,
        )


def sustained_rows(size: Size) -> Iterator[Row]:
    """The whole pipeline in one process, the previous round's goals."""
    yield from _sustained(
        size.sustained_endpoints, size.sustained_seconds, size.sustained_interval_s,
        probe_workers=0, cpu_goal_pct=50,
    )


#: ``bench/sustained.py --probe-workers 2``: a site of 100,000 endpoints on this 2-core box
#: (both cores may be used); the quick run a few thousand, for CI to see the workers run
LARGE_FULL = (100_000, 90.0, 10)
LARGE_QUICK = (2_000, 8.0, 2)
LARGE_WORKERS = 2


def large_site_rows(size: Size) -> Iterator[Row]:
    """The whole pipeline with the probes in worker processes, every process counted."""
    endpoints, seconds, interval_s = LARGE_FULL if size is FULL else LARGE_QUICK
    yield from _sustained(
        endpoints, seconds, interval_s, probe_workers=LARGE_WORKERS, cpu_goal_pct=150
    )


def _sustained(
    endpoints: int, seconds: float, interval_s: int, probe_workers: int, cpu_goal_pct: int
) -> Iterator[Row]:
    from pulse_core.testing.lab import NETNS_SKIP_REASON

    with_lab = NETNS_SKIP_REASON is None and Path("/dev/net/tun").exists()
    workers = f", probes in {probe_workers} worker processes" if probe_workers else ""
    part = (
        f"Sustained, {endpoints:,} endpoints every {interval_s} s "
        f"(60/30/10 % ICMP/TCP/HTTP{', with lab hosts' if with_lab else ''}{workers}), "
        f"{seconds:g} s"
    )
    argv = [
        "--endpoints", str(endpoints), "--seconds", str(seconds), "--interval", str(interval_s),
        "--probe-workers", str(probe_workers), *(["--lab"] if with_lab else []),
    ]
    completed = _run([sys.executable, str(HERE / "sustained.py"), *argv])
    if completed.returncode != 0:
        yield Row(part, "the whole run", f"failed: {_last_line(completed.stderr)}")
        return
    s = json.loads(completed.stdout.strip().splitlines()[-1])
    per_endpoint = s["rss_bytes_per_endpoint"]
    yield Row(part, "checks per second", f"{s['checks_per_s']:,.0f} ({s['checks']:,} checks, "
              f"{s['failed_pct']} % failed, {s['lab_endpoints']} lab endpoints)")
    yield Row(part, "schedule lag p50 / p99 / max",
              f"{s['lag_p50_ms']} / {s['lag_p99_ms']} / {s['lag_max_ms']} ms",
              _goal(s["lag_p99_ms"] <= 100, "p99 ≤ 100 ms"))
    target_rate = endpoints / interval_s
    kept_up = s["checks_per_s"] >= 0.95 * target_rate
    cpu_us = s["cpu_pct"] / 100 / s["checks_per_s"] * 1e6 if s["checks_per_s"] else 0.0
    split = f"; the probe workers {s['workers_cpu_pct']} %" if probe_workers else ""
    yield Row(part, "CPU, % of one core", f"{s['cpu_pct']} % ({cpu_us:.0f} µs per check{split})",
              _goal(s["cpu_pct"] <= cpu_goal_pct and kept_up,
                    f"≤ {cpu_goal_pct} % at {target_rate:,.0f} checks/s"))
    steady_rate = s["steady_checks_per_s"]
    steady_us = s["steady_cpu_pct"] / 100 / steady_rate * 1e6 if steady_rate else 0.0
    yield Row(part, "CPU and lag p99 once every first state is stored",
              f"{s['steady_cpu_pct']} % at {s['steady_checks_per_s']:,.0f} checks/s "
              f"({steady_us:.0f} µs per check); lag p99 {s['steady_lag_p99_ms']} ms")
    yield Row(part, "RSS per endpoint above the idle process",
              f"{per_endpoint:,} bytes (idle {s['rss_idle_mb']} MB; "
              f"{s['rss_bytes_per_endpoint_above_code']:,} above the code alone)",
              _goal(per_endpoint <= 1024, "≤ 1 KB"))
    yield Row(part, "checks waiting for the store at most / dropped",
              f"{s['writer_backlog_max']:,} / {s['dropped']:,}",
              _goal(s["dropped"] == 0, "none dropped"))
    # A minute ends before the first hourly block is packed: these are the rows checks wait
    # in. The raw-history goal is judged on packed blocks, in the Storage part.
    yield Row(part, "bytes on disk per stored check (SQLite), rows not yet packed",
              f"{s['disk_bytes_per_check']}")
    missed = s["first_interval_missed"]
    yield Row(part, "every endpoint checked within its first interval",
              "yes" if missed == 0 else f"no: {missed:,} were not", _goal(missed == 0, "yes"))


#: ``bench/pipeline.py``: 12,000 ICMP endpoints every 10 s, 40 s of steady state; the quick
#: run a few hundred every second, for CI to see the part run, not its figures
PIPELINE_FULL = ("--endpoints", "12000", "--interval", "10", "--seconds", "40")
PIPELINE_QUICK = ("--endpoints", "300", "--interval", "1", "--seconds", "2")
PIPELINE_GOAL_RATIO = 3.0


def pipeline_rows(size: Size) -> Iterator[Row]:
    """The whole pipeline's CPU per ICMP check beside one round of fping, same addresses."""
    argv = PIPELINE_FULL if size is FULL else PIPELINE_QUICK
    part = (f"ICMP pipeline, {int(argv[1]):,} endpoints every {argv[3]} s "
            f"(scheduler, probe, state, store writer, SQLite), {argv[5]} s steady")
    completed = _run([sys.executable, str(HERE / "pipeline.py"), *argv])
    if completed.returncode != 0:
        yield Row(part, "the whole run", f"failed: {_last_line(completed.stderr)}")
        return
    p = json.loads(completed.stdout.strip().splitlines()[-1])
    if p["fping_us_per_check"] is None:
        yield Row(part, "Pulse µs per check · fping", f"{p['pulse_us_per_check']} µs per check "
                  "· fping not measured: fping is not installed")
        return
    yield Row(
        part, "Pulse µs per check · fping µs per check (one round) · ratio",
        f"{p['pulse_us_per_check']} µs · {p['fping_us_per_check']} µs · {p['ratio']:.2f}× fping "
        f"({p['checks']:,} checks, {p['failed']} failed)",
        _goal(p["ratio"] <= PIPELINE_GOAL_RATIO, f"≤ {PIPELINE_GOAL_RATIO:g}× fping"),
    )


def _goal(met: bool, goal: str) -> str:
    return f"{goal}: {'met' if met else 'NOT met'}"


@dataclass(frozen=True)
class ClusterSize:
    failover_runs: int
    heartbeats_s: tuple[float, ...]
    share_endpoints: int
    share_interval_s: int
    share_heartbeat_s: float
    share_seconds: float


#: The quick run kills once, with the 1 s heartbeat only (a 5 s one takes 20 s a kill), and
#: shares 1,000 endpoints every 2 s over a few seconds: CI sees the part run, not its figures.
CLUSTER_FULL = ClusterSize(10, (5.0, 1.0), 20_000, 10, 5.0, 30.0)
CLUSTER_QUICK = ClusterSize(1, (1.0,), 1_000, 2, 1.0, 4.0)
#: the failover test's cluster: three nodes, ICMP endpoints on loopback every 2 s
FAILOVER_NODES = 3
FAILOVER_ENDPOINTS = 60
FAILOVER_INTERVAL_S = 2


def cluster_rows(size: Size) -> Iterator[Row]:
    """``bench/cluster.py``: failover after ``kill -9``, and one node against two."""
    import psycopg

    from pulse_core.testing.postgresql import POSTGRESQL_SERVER

    try:
        psycopg.connect(POSTGRESQL_SERVER, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        yield Row("Cluster", "not measured", f"no PostgreSQL at {POSTGRESQL_SERVER}: {error}")
        return
    sizes = CLUSTER_FULL if size is FULL else CLUSTER_QUICK
    for heartbeat_s in sizes.heartbeats_s:
        yield from _failover_rows(sizes.failover_runs, heartbeat_s)
    yield from _share_rows(sizes)


def _failover_rows(runs: int, heartbeat_s: float) -> Iterator[Row]:
    part = (f"Cluster failover after kill -9, {FAILOVER_NODES} nodes, {FAILOVER_ENDPOINTS} "
            f"ICMP endpoints every {FAILOVER_INTERVAL_S} s, heartbeat {heartbeat_s:g} s "
            f"(lease {3 * heartbeat_s:g} s), {runs} runs")
    completed = _run([sys.executable, str(HERE / "cluster.py"), "failover", "--runs", str(runs),
                      "--endpoints", str(FAILOVER_ENDPOINTS), "--interval",
                      str(FAILOVER_INTERVAL_S), "--heartbeat", str(heartbeat_s)])
    if completed.returncode != 0:
        yield Row(part, "the whole run", f"failed: {_last_line(completed.stderr)}")
        return
    f = json.loads(completed.stdout.strip().splitlines()[-1])
    bound = f"lease + heartbeat + interval = {f['bound_s']:g} s (docs/cluster.md)"
    yield Row(part, "kill → a survivor logs the smaller cluster, p50 / max",
              f"{f['detected_p50_s']} / {f['detected_max_s']} s")
    yield Row(part, "kill → every endpoint of the killed node checked by its new owner, "
                    "p50 / max",
              f"{f['failover_p50_s']} / {f['failover_max_s']} s (the first of them: p50 "
              f"{f['first_check_p50_s']} s)",
              _goal(f["failover_max_s"] <= f["bound_s"], f"max ≤ {bound}"))
    mismatches = f["share_mismatches"]
    yield Row(part, "killed node's share as logged = as computed by Ownership",
              "yes" if mismatches == 0 else f"no, in {mismatches} runs")


def _share_rows(sizes: ClusterSize) -> Iterator[Row]:
    part = (f"Cluster, {sizes.share_endpoints:,} ICMP endpoints every {sizes.share_interval_s} s "
            f"on PostgreSQL, 1 node then 2 nodes, {sizes.share_seconds:g} s each")
    completed = _run([sys.executable, str(HERE / "cluster.py"), "share",
                      "--endpoints", str(sizes.share_endpoints),
                      "--interval", str(sizes.share_interval_s),
                      "--heartbeat", str(sizes.share_heartbeat_s),
                      "--seconds", str(sizes.share_seconds)])
    if completed.returncode != 0:
        yield Row(part, "the whole run", f"failed: {_last_line(completed.stderr)}")
        return
    s = json.loads(completed.stdout.strip().splitlines()[-1])
    one, two = s["single"], s["pair"]

    def both(name: str, unit: str = "") -> str:
        return f"1 node {one[name]:,}{unit} · 2 nodes {two[name]:,}{unit}"

    yield Row(part, "checks per second (counted in the store)", both("checks_per_s"))
    cpu_one, cpu_two = one["node_cpu_pct"][0], sum(two["node_cpu_pct"])
    yield Row(part, "CPU of the Pulse nodes, % of one core",
              f"1 node {cpu_one} % · 2 nodes {' + '.join(map(str, two['node_cpu_pct']))} = "
              f"{cpu_two:.1f} % ({cpu_two / cpu_one:.2f}× one node's)" if cpu_one else "")
    yield Row(part, "CPU of their PostgreSQL backends, % of one core",
              both("postgresql_cpu_pct", " %"))
    yield Row(part, "PostgreSQL transactions per check", both("commits_per_check"))
    yield Row(part, "PostgreSQL rows written per check",
              f"1 node {_by_table(one)} · 2 nodes {_by_table(two)}")
    yield Row(part, "database growth per check", both("bytes_per_check", " bytes"))
    wrong = [(n["endpoints_checked_too_often"], n["endpoints_not_checked"]) for n in (one, two)]
    yield Row(part, "endpoints checked more than once an interval (+1) / never",
              " · ".join(f"{label} {often} / {never}"
                         for label, (often, never) in zip(("1 node", "2 nodes"), wrong)),
              _goal(all(w == (0, 0) for w in wrong), "0 / 0"))
    yield Row(part, "a node declared dead while the others ran (memberships lost)",
              both("memberships_lost"),
              _goal(one["memberships_lost"] + two["memberships_lost"] == 0, "none"))


def _by_table(load: Mapping[str, Any]) -> str:
    tables = load["rows_per_check_by_table"]
    written = sum(tables.values())
    return f"{written:.2f} ({', '.join(f'{t} {n}' for t, n in tables.items())})"


#: A burst of notifications (every change of a storm, grouping off) and how fast it must
#: reach a receiver that answers at once.
NOTIFY_MESSAGES = 2000
NOTIFY_GOAL_S = 5.0
#: A daily PDF report of a site of 10,000 endpoints: a few pages, made in bounded time.
REPORT_GOAL_PAGES = 12
REPORT_GOAL_S = 10.0
#: A day of raw checks of 10,000 endpoints streamed at a million rows a second, its first
#: byte within 100 ms.
EXPORT_GOAL_ROWS_PER_S = 1_000_000
EXPORT_GOAL_FIRST_BYTE_MS = 100.0
#: A write of one target (``POST``/``PUT``/``DELETE /api/endpoints``, an apply that changes
#: one) or of the whole file (an apply that renames a group, one that changes a default) to a
#: 10,000-target configuration, at interactive speed: the median within 300 ms.
CONFIG_WRITE_GOAL_MS = 300.0
CONFIG_WRITES = (
    "post_endpoint", "put_endpoint", "delete_endpoint", "apply_one_target",
    "apply_whole_reload", "apply_default_changed",
)


#: ``bench/startup.py``: from ``pulse run`` to monitoring at 20,000 endpoints, first start and
#: restart, within 2 s; the quick run 500 endpoints once, for CI to see the part run
STARTUP_FULL = ("--endpoints", "20000", "--runs", "3", "--interval", "10")
STARTUP_QUICK = ("--endpoints", "500", "--runs", "1", "--interval", "1")
STARTUP_GOAL_S = 2.0
#: and at 100,000 endpoints (probes in two worker processes), from ``pulse run`` to every
#: endpoint's first check stored: within one interval plus 2 s
STARTUP_LARGE = (
    "--endpoints", "100000", "--runs", "1", "--interval", "10", "--probe-workers", "2"
)
STARTUP_LARGE_GOAL_S = 10 + 2.0


def startup_goals() -> dict[str, Callable[[object], str]]:
    return {
        f"{start}_s": lambda value: _goal(
            float(str(value)) <= STARTUP_GOAL_S, f"≤ {STARTUP_GOAL_S:g} s"
        )
        for start in ("first_start", "restart")
    }


def large_startup_goals() -> dict[str, Callable[[object], str]]:
    return {
        "all_checked_s": lambda value: _goal(
            float(str(value)) <= STARTUP_LARGE_GOAL_S,
            f"≤ {STARTUP_LARGE_GOAL_S:g} s (one interval + 2 s)",
        )
    }


def config_write_goals() -> dict[str, Callable[[object], str]]:
    return {
        f"{write}_ms": lambda value: _goal(
            float(str(value)) <= CONFIG_WRITE_GOAL_MS, f"≤ {CONFIG_WRITE_GOAL_MS:g} ms"
        )
        for write in CONFIG_WRITES
    }


def api_rows(size: Size) -> Iterator[Row]:
    """The other benchmark scripts, when present: their tables or JSON figures as rows."""
    startup = STARTUP_FULL if size is FULL else STARTUP_QUICK
    #: each script, its part's name, its arguments and the goals of its figures alone
    scripts: list[tuple[str, str, tuple[str, ...], dict[str, Callable[[object], str]]]] = [
        ("api.py", f"API, {size.api_endpoints:,} endpoints",
         ("--endpoints", str(size.api_endpoints), *size.api_arguments), {}),
        ("metrics_render.py", f"GET /api/metrics, {size.api_endpoints:,} endpoints",
         ("--endpoints", str(size.api_endpoints), *size.metrics_arguments), {}),
        ("storage.py", "Storage (SQLite)", size.storage_arguments, {}),
        ("shutdown.py", "Stop on SIGTERM, 254 endpoints, a WebSocket and an SSE client",
         ("--runs", "3"), {}),
        ("notify.py", f"Notifications, {NOTIFY_MESSAGES:,} changes to one webhook receiver",
         ("--messages", str(NOTIFY_MESSAGES)), {}),
        ("probes.py", "CPU per check by probe, peers on loopback", ("--checks", "2000"), {}),
        ("config_writes.py", f"Configuration writes, {size.api_endpoints:,} targets",
         ("--endpoints", str(size.api_endpoints), "--runs", "5" if size is FULL else "2"), {}),
        ("reports.py", "Scheduled report, PDF over 24h, 10,000 endpoints",
         ("--runs", str(size.report_runs)), {}),
        ("startup.py", f"Start-up of pulse run, {int(startup[1]):,} tcp endpoints, SQLite",
         startup, startup_goals() if size is FULL else {}),
        ("exports.py", f"Raw history export, a day of {size.export_arguments[1]} endpoints",
         size.export_arguments, {}),
        ("live.py", f"Live status, dashboard and push, {int(size.live_arguments[1]):,} endpoints",
         size.live_arguments, {}),
    ]
    if size is FULL:  # the start-up goal set for a large site
        scripts.append((
            "startup.py", f"Start-up of pulse run, {int(STARTUP_LARGE[1]):,} tcp endpoints, two "
            "probe workers, SQLite", STARTUP_LARGE, large_startup_goals(),
        ))
    goals: dict[str, Callable[[object], str]] = {
        "seconds_to_deliver_all": lambda value: _goal(
            float(str(value)) <= NOTIFY_GOAL_S, f"≤ {NOTIFY_GOAL_S:g} s"
        ),
        "seconds_to_render": lambda value: _goal(
            float(str(value)) <= REPORT_GOAL_S, f"≤ {REPORT_GOAL_S:g} s"
        ),
        "pdf_pages": lambda value: _goal(int(str(value)) <= REPORT_GOAL_PAGES, f"≤ {REPORT_GOAL_PAGES}"),
        "csv_rows_per_s": lambda value: _goal(
            int(str(value)) >= EXPORT_GOAL_ROWS_PER_S, f"≥ {EXPORT_GOAL_ROWS_PER_S:,}"
        ),
        "csv_first_byte_ms": lambda value: _goal(
            float(str(value)) <= EXPORT_GOAL_FIRST_BYTE_MS, f"≤ {EXPORT_GOAL_FIRST_BYTE_MS:g} ms"
        ),
        # judged at full size only: the goal is set for 10,000 targets
        **(config_write_goals() if size is FULL else {}),
    }
    # Judged at full size only: the quick run's blocks hold too few checks to be typical, and
    # its live list is a small fraction of the one the live goals are set for.
    if size is FULL:
        goals |= live_goals()
        goals["packed_bytes_per_check"] = lambda value: _goal(
            float(str(value)) <= 8, "raw history ≤ 8"
        )
    for script, part, arguments, own_goals in scripts:
        if not (HERE / script).exists():
            continue
        completed = _run([sys.executable, str(HERE / script), *arguments])
        if completed.returncode != 0:
            yield Row(part, script, f"failed: {_last_line(completed.stderr)}")
            continue
        yield from _rows_of_output(part, completed.stdout, goals | own_goals)


#: The live surfaces at 20,000 endpoints: the list's answer, the overview, an outage pushed.
LIVE_GOAL_P95_MS = 50.0
LIVE_GOAL_INTERACTIVE_MS = 1000
LIVE_GOAL_INTERACTION_MS = 50.0
LIVE_GOAL_OUTAGE_S = 2.0


def live_goals() -> dict[str, Callable[[object], str]]:
    def at_most(limit: float, shown: str) -> Callable[[object], str]:
        return lambda value: _goal(float(str(value)) <= limit, shown)

    return {
        "live_status_plain_p95_ms": at_most(LIVE_GOAL_P95_MS, f"p95 ≤ {LIVE_GOAL_P95_MS:g} ms"),
        "live_status_gzip_p95_ms": at_most(LIVE_GOAL_P95_MS, f"p95 ≤ {LIVE_GOAL_P95_MS:g} ms"),
        "overview_interactive_ms": at_most(LIVE_GOAL_INTERACTIVE_MS,
                                           f"≤ {LIVE_GOAL_INTERACTIVE_MS:,} ms, every load"),
        "interaction_max_ms": at_most(LIVE_GOAL_INTERACTION_MS,
                                      f"≤ {LIVE_GOAL_INTERACTION_MS:g} ms, every one"),
        "outage_dashboard_s": at_most(LIVE_GOAL_OUTAGE_S, f"≤ {LIVE_GOAL_OUTAGE_S:g} s"),
        "outage_clients_max_s": at_most(LIVE_GOAL_OUTAGE_S, f"≤ {LIVE_GOAL_OUTAGE_S:g} s, every client"),
    }


def _rows_of_output(
    part: str, output: str, goals: Mapping[str, Callable[[object], str]]
) -> Iterator[Row]:
    """A JSON object becomes a row per figure (judged by ``goals``, by figure name); a
    Markdown table a row per line."""
    last = output.strip().splitlines()[-1] if output.strip() else ""
    try:
        figures = json.loads(last)
    except json.JSONDecodeError:
        figures = None
    if isinstance(figures, dict):
        for name, value in figures.items():
            shown = f"{value:,}" if isinstance(value, int) else str(value)
            judged = goals[name](value) if name in goals else ""
            yield Row(part, name.replace("_", " "), shown, judged)
        return
    lines = [line for line in output.splitlines() if line.startswith("|") and "---" not in line]
    if not lines:
        yield Row(part, "output", "no figures printed")
        return
    header, *body = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    for cells in body:
        labelled = (f"{name} {value}" for name, value in zip(header[1:], cells[1:]))
        yield Row(part, cells[0], " · ".join(labelled))


# --- the table --------------------------------------------------------------------------------


def markdown(rows: list[Row]) -> str:
    lines = ["| part | subject | result | goal |", "|---|---|---|---|"]
    lines += [f"| {r.part} | {r.subject} | {r.result} | {r.goal} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI (about 1 minute)")
    parser.add_argument("--no-install", action="store_true", help="use only what is installed")
    arguments = parser.parse_args()
    size = QUICK if arguments.quick else FULL
    notes = [] if arguments.no_install else install_missing()
    parts: list[Callable[[Size], Iterator[Row]]] = [
        icmp_rows, pipeline_rows, sustained_rows, large_site_rows, api_rows, cluster_rows,
    ]
    rows: list[Row] = []
    for part in parts:
        rows += part(size)
        print(f"bench: {part.__name__.removesuffix('_rows')} done", file=sys.stderr, flush=True)
    print(markdown(rows))
    for note in notes:
        print(f"\nnote: {note}")


if __name__ == "__main__":
    main()
