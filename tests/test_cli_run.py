"""``pulse run`` as a new user meets it: the first run without a configuration, a busy port,
and what the start-up log tells."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pulse_core.cli_run import browser_host, where_data_is
from pulse_core.testing.listeners import free_tcp_port

REPOSITORY = Path(__file__).resolve().parents[1]
SAMPLE = REPOSITORY / "config" / "pulse.yaml"


def start(tmp_path: Path, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pulse_core.cli", "run", *arguments],
        env={**os.environ, "PULSE_DATA_DIR": str(tmp_path / "data")},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def read_until(process: subprocess.Popen[str], text: str) -> str:
    """Lines of the process's log up to the one holding ``text`` (or its end)."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if text in line:
            break
    return "".join(seen)


def test_the_first_run_without_a_configuration_runs_a_copy_of_the_sample(tmp_path: Path) -> None:
    sample_digest = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    port = free_tcp_port()
    process = start(tmp_path, "--port", str(port))
    try:
        log = read_until(process, "configuration ")
    finally:
        process.send_signal(signal.SIGINT)
        log += process.communicate(timeout=30)[0]
    copy = tmp_path / "data" / "pulse.yaml"
    assert copy.read_bytes() == SAMPLE.read_bytes()
    assert f"made {copy} from the sample configuration" in log
    assert f"dashboard and web API on http://localhost:{port}/" in log
    assert f"the first visit to http://localhost:{port}/setup creates the administrator" in log
    assert f"data in the SQLite file {tmp_path / 'data' / 'pulse.db'}" in log
    assert "GET /api/metrics is open to anyone who can reach Pulse" in log
    assert "Traceback" not in log and process.returncode == 0
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == sample_digest

    again = start(tmp_path, "--port", str(port))  # the second run uses the copy, says nothing
    try:
        log = read_until(again, "configuration ")
    finally:
        again.send_signal(signal.SIGINT)
        log += again.communicate(timeout=30)[0]
    assert "from the sample configuration" not in log and f"configuration {copy}" in log


def test_a_busy_port_is_one_line_naming_its_holder_and_the_fix(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process = start(tmp_path, "--config", str(SAMPLE), "--host", "127.0.0.1", "--port",
                        str(port))
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 1
    assert (
        f"port {port} is in use (by PID {os.getpid()}): set server.port in the configuration "
        f"or pass --port"
    ) in output
    assert "Traceback" not in output
    assert not (tmp_path / "data" / "pulse.db").exists()  # nothing started, nothing written


def test_the_log_names_what_a_browser_opens_and_where_the_data_is() -> None:
    assert [browser_host(h) for h in ["0.0.0.0", "::", "127.0.0.1", "10.1.2.3", "fe80::1",
                                      "pulse.plant"]] == [
        "localhost", "localhost", "localhost", "10.1.2.3", "[fe80::1]", "pulse.plant"
    ]
    assert where_data_is("postgresql+psycopg://pulse:s3cret@127.0.0.1:5432/pulse?sslmode=require"
                         ) == "postgresql://127.0.0.1:5432/pulse"
    assert where_data_is("sqlite:////var/lib/pulse/pulse.db") == (
        "the SQLite file /var/lib/pulse/pulse.db"
    )


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def _gone(pids: list[int], within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.05)
    return False


def test_probe_workers_start_with_pulse_and_end_with_it(tmp_path: Path) -> None:
    """``--probe-workers 2``: two worker processes probe, stop with a stop, and end by
    themselves when the main process is killed (no orphan keeps probing)."""
    for stop in (signal.SIGINT, signal.SIGKILL):
        process = start(
            tmp_path, "--config", str(SAMPLE), "--host", "127.0.0.1",
            "--port", str(free_tcp_port()), "--probe-workers", "2",
        )
        try:
            log = read_until(process, "monitoring ")
            workers = _children(process.pid)
        finally:
            process.send_signal(stop)
            log += process.communicate(timeout=30)[0]
        assert "probing in 2 worker processes" in log
        assert len(workers) == 2
        assert _gone(workers), f"probe workers {workers} outlived the main process ({stop!r})"
        assert "Traceback" not in log
        if stop is signal.SIGINT:
            assert process.returncode == 0


def test_a_bad_count_of_probe_workers_is_one_line(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pulse_core.cli", "run", "--config", str(SAMPLE)],
        env={**os.environ, "PULSE_DATA_DIR": str(tmp_path / "data"), "PULSE_PROBE_WORKERS": "two"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 1
    assert "PULSE_PROBE_WORKERS='two': not a number" in output
    assert "Traceback" not in output
