"""Fixtures of the ICMP probe's tests: a started probe and namespace lab hosts."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).parent))  # the lab module, with --import-mode=importlib

from pulse_core.testing.lab import NETNS_SKIP_REASON, LabHost, lab_host

from pulse_probe_icmp import IcmpProbe


@pytest_asyncio.fixture
async def probe() -> AsyncIterator[IcmpProbe]:
    started = IcmpProbe()
    await started.start()
    yield started
    await started.close()


@pytest.fixture
def lab() -> Iterator[LabHost]:
    if NETNS_SKIP_REASON:
        pytest.skip(NETNS_SKIP_REASON)
    with lab_host() as host:
        yield host
