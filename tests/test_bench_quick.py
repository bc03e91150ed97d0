"""``bench/run --quick``, as CI runs it: the suite runs end to end and prints its one table.

No figure is asserted (the machine and its load decide them); what is asserted is that every
part produced its rows, so a change that breaks a benchmark is noticed the day it is made.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH_RUN = Path(__file__).resolve().parents[1] / "bench" / "run"


def test_bench_run_quick_prints_one_table_with_every_part() -> None:
    completed = subprocess.run(
        [str(BENCH_RUN), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,  # the quick suite takes 2 to 5 minutes on a shared 2-core machine
        env={**os.environ, "PULSE_PYTHON": sys.executable},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    table = [line for line in completed.stdout.splitlines() if line.startswith("|")]
    assert table[0] == "| part | subject | result | goal |"
    parts = {line.split("|")[1].strip() for line in table[2:]}
    assert any(part.startswith("ICMP, one round") for part in parts)
    assert any(part.startswith("ICMP pipeline") for part in parts)
    assert any(part.startswith("Sustained") for part in parts)
    assert any("worker processes" in part for part in parts)
    assert any(part.startswith("Cluster") for part in parts)  # "not measured" without PostgreSQL
    results = {line.split("|")[2].strip(): line.split("|")[3].strip() for line in table[2:]}
    assert "µs/check" in results["Pulse IcmpEngine.ping"]
    assert results["checks per second"][0].isdigit()
    failed = [line for line in table[2:] if line.split("|")[2].strip() == "the whole run"]
    assert not failed, failed
