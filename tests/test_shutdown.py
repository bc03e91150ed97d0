"""``pulse run`` stopped by SIGTERM while live clients are connected and checks flow: it says
goodbye to the clients, writes and counts every check taken, and exits 0 without a
traceback. A real process, real clients, a real SQLite file."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from pulse_core.testing.busy import busy_plant
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.stopping import run_then_stop

#: generous: the stop takes well under a second, but the machine is shared
EXIT_WITHIN_S = 15


async def test_sigterm_with_live_clients_exits_cleanly_and_counts_every_check(
    tmp_path: Path,
) -> None:
    port, database = free_tcp_port(), tmp_path / "pulse.db"
    config = tmp_path / "pulse.yaml"
    config.write_text(busy_plant(database, "127.0.6.0/26", port))

    stopped = await run_then_stop(config, port, EXIT_WITHIN_S)

    assert stopped.returncode == 0, stopped.log
    assert "Traceback" not in stopped.log, stopped.log
    with contextlib.closing(sqlite3.connect(database)) as stored:
        (rows,) = stored.execute("SELECT count(*) FROM checks").fetchone()
    assert stopped.taken == stopped.written == rows > 0, stopped.log
