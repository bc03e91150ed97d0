"""A probe of this process that has its checks made by the probe workers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pulse_core.models import Endpoint, ProbeResult
from pulse_core.probe import Probe, ReportResult


class Checking(Protocol):
    """What makes the checks (the probe workers' pool)."""

    async def check(
        self, type_name: str, endpoints: Sequence[Endpoint], report: ReportResult
    ) -> None: ...


class RemoteProbe(Probe):
    """Stands in for the probe of one type started in every worker. It checks in batches,
    so the scheduler hands it the endpoints of its type due together: a message per worker,
    where a check each would cost a message each."""

    def __init__(self, type_name: str, workers: Checking) -> None:
        super().__init__(None)
        self.type_name = type_name  # type: ignore[misc]  # an instance stands in for a class
        self._workers = workers

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        results: list[ProbeResult] = []
        await self.check_many([endpoint], lambda index, result: results.append(result))
        return results[0]

    async def check_many(self, endpoints: Sequence[Endpoint], report: ReportResult) -> None:
        await self._workers.check(self.type_name, endpoints, report)
