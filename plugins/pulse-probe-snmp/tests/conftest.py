"""The SNMP agents the snmp probe's tests talk to (see ``snmp_agent``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from .snmp_agent import SnmpAgent, snmpd_path


@pytest_asyncio.fixture
async def agent(tmp_path: Path) -> AsyncIterator[SnmpAgent]:
    if snmpd_path() is None:
        pytest.skip("snmpd is not installed: apt-get install snmpd (Debian's net-snmp agent)")
    running = SnmpAgent(tmp_path / "snmpd")
    await running.start()
    yield running
    await running.stop()
