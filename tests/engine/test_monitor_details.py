"""The latest check's details per endpoint: kept in memory only while there are some."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from pulse_probe_tcp import TcpProbe
from pulse_store_sql import SqlStore

from pulse_core.engine.monitor import Monitor
from pulse_core.engine.writer import StoreWriter
from pulse_core.models import CheckResult, Endpoint, StatusChange
from pulse_core.testing.listeners import TcpListener


def _ignore(checks: Sequence[CheckResult], changes: Sequence[StatusChange]) -> None:
    del checks, changes


async def test_details_follow_the_latest_check_and_the_configuration(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    plc = Endpoint(id="plc", name="PLC", group_id="g", type="tcp", host="127.0.0.1",
                   port=tcp_listener.port)
    hmi = Endpoint(id="hmi", name="HMI", group_id="g", type="tcp", host="127.0.0.1",
                   port=tcp_listener.port)
    writer = StoreWriter(SqlStore(f"sqlite:///{tmp_path / 'pulse.db'}"), _ignore)
    monitor = Monitor({"tcp": TcpProbe()}, writer)
    monitor.set_endpoints([plc, hmi])
    for endpoint in (plc, hmi):
        await monitor.run_check(endpoint, time.time())
    assert monitor.details == {"plc": {"address": "127.0.0.1"}, "hmi": {"address": "127.0.0.1"}}

    await tcp_listener.stop()  # a refused connection: the tcp probe tells nothing more
    await monitor.run_check(plc, time.time())
    assert monitor.details == {"hmi": {"address": "127.0.0.1"}}

    monitor.set_endpoints([plc])
    assert monitor.details == {}
