"""The behaviour every probe owes the core (pulse_core.testing.probe_conformance)."""

from __future__ import annotations

import pytest
import pytest_asyncio
from pulse_core.testing.lab import LabHost
from pulse_core.models import Endpoint
from pulse_core.testing.probe_conformance import ProbeConformance

from pulse_probe_icmp import IcmpProbe

pytestmark = pytest.mark.netns


class TestIcmpProbeConformance(ProbeConformance):
    @pytest_asyncio.fixture
    async def probe(self) -> IcmpProbe:
        started = IcmpProbe()
        await started.start()
        return started

    @pytest.fixture
    def reachable_endpoint(self) -> Endpoint:
        return Endpoint(id="up", name="up", group_id="g", type="icmp", host="127.0.0.1")

    @pytest.fixture
    def unreachable_endpoint(self, lab: LabHost) -> Endpoint:
        """Loopback answers every ping, so the silent host is a lab namespace."""
        lab.go_silent()
        return Endpoint(
            id="down", name="down", group_id="g", type="icmp", host=lab.address(), timeout_ms=400
        )
