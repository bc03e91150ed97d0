"""``History.check_rows_many`` and ``rollup_rows_many`` as a store that does not override
them hands them over: its own pages, turned into runs of plain tuples."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from pulse_core.models import CheckResult, CheckStatus, Outage, Resolution, Rollup
from pulse_core.store import History

CHECKS = [
    CheckResult("a", 1_704_067_200.001, CheckStatus.UP, 1.5),
    CheckResult("a", 1_704_067_260.0, CheckStatus.DOWN, None, "refused"),
    CheckResult("b", 1_704_067_200.25, CheckStatus.UP, 0.125),
]
ROLLUPS = [
    Rollup("a", 1_704_067_200.0, Resolution.DAILY, 10, 9, 45.5, 9, 1),
    Rollup("b", 1_704_067_200.0, Resolution.DAILY, 3, 3, 1.0, 3, 0),
]


class ListHistory(History):
    """A history of the lists above, a page per endpoint."""

    async def ping(self) -> bool:
        return True

    async def checks(
        self, endpoint_id: str, start: float, end: float, limit: int | None = None
    ) -> list[CheckResult]:
        return [check for check in CHECKS if check.endpoint_id == endpoint_id]

    async def outages(self, endpoint_id: str | None, start: float, end: float) -> list[Outage]:
        return []

    async def rollups(
        self, endpoint_id: str, resolution: Resolution, start: float, end: float
    ) -> list[Rollup]:
        return [rollup for rollup in ROLLUPS if rollup.endpoint_id == endpoint_id]

    async def checks_many(
        self, endpoint_ids: Sequence[str], start: float, end: float, page_rows: int = 0
    ) -> AsyncIterator[list[CheckResult]]:
        for endpoint_id in endpoint_ids:
            yield await self.checks(endpoint_id, start, end)

    async def rollups_many(
        self,
        endpoint_ids: Sequence[str],
        resolution: Resolution,
        start: float,
        end: float,
        page_rows: int = 0,
    ) -> AsyncIterator[list[Rollup]]:
        for endpoint_id in endpoint_ids:
            yield await self.rollups(endpoint_id, resolution, start, end)


async def test_checks_become_runs_of_tuples_in_milliseconds() -> None:
    pages = [page async for page in ListHistory().check_rows_many(["b", "a"], 0, 2e9)]
    assert pages == [
        [("b", [(1_704_067_200_250, True, 0.125, None)])],
        [("a", [(1_704_067_200_001, True, 1.5, None), (1_704_067_260_000, False, None, "refused")])],
    ]


async def test_rollups_become_runs_of_tuples_in_milliseconds() -> None:
    history = ListHistory()
    pages = [page async for page in history.rollup_rows_many(["a", "b"], Resolution.DAILY, 0, 2e9)]
    assert pages == [
        [("a", [(1_704_067_200_000, 10, 9, 45.5, 9, 1)])],
        [("b", [(1_704_067_200_000, 3, 3, 1.0, 3, 0)])],
    ]
