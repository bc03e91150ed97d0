"""The record of each scheduled run, kept in the store's key/value settings.

The store interface has no table for plugins, and its settings are write-once
(``add_setting_if_absent``). So each run is one setting, ``report-runs/<name>/<n>``, numbered
from 0 without gaps; the number of runs is found by probing (a few reads, logarithmic in the
count) and the last ones read by number. ``report-runs/<name>/since`` keeps when the report
was first scheduled, so a report due while Pulse was down is caught up after a restart even
before its first run. Two processes that race for a number both keep their record: the loser
takes the next number.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Protocol

PREFIX = "report-runs"


class Settings(Protocol):
    """Where the runs are kept: the running Pulse (``PulseView``), or a store opened by a
    command or a test, which offer the same two methods."""

    async def setting(self, name: str) -> str | None: ...

    async def add_setting_if_absent(self, name: str, value: str) -> str: ...


@dataclass(frozen=True)
class RunRecord:
    name: str
    #: when the run was due (ISO 8601, UTC)
    due: str
    trigger: str  # "schedule" or "catch-up"
    period_start: str
    period_end: str
    #: "sent", "rendered" (no recipients) or "failed: <why>"
    outcome: str
    format: str
    size: int
    recipients: list[str]
    finished: str

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name, "due": self.due, "trigger": self.trigger,
            "periodStart": self.period_start, "periodEnd": self.period_end,
            "outcome": self.outcome, "format": self.format, "size": self.size,
            "recipients": self.recipients, "finished": self.finished,
        }


def iso(moment: datetime | float) -> str:
    if isinstance(moment, float):
        moment = datetime.fromtimestamp(moment, timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class RunLog:
    """The runs of every report in one store; counts are remembered once probed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._counts: dict[str, int] = {}

    async def since(self, name: str, now: float) -> float:
        """When ``name`` was first scheduled (``now`` if this is the first time)."""
        kept = await self.settings.add_setting_if_absent(f"{PREFIX}/{name}/since", iso(now))
        return parse_iso(kept)

    async def add(self, record: RunRecord) -> None:
        number = await self._count(record.name)
        text = json.dumps(asdict(record), sort_keys=True)
        while await self.settings.add_setting_if_absent(_key(record.name, number), text) != text:
            number += 1
        self._counts[record.name] = number + 1

    async def last(self, name: str, limit: int) -> list[RunRecord]:
        """The newest ``limit`` runs of ``name``, newest first."""
        count = await self._count(name)
        records = []
        for number in range(count - 1, max(count - limit, 0) - 1, -1):
            text = await self.settings.setting(_key(name, number))
            if text is not None:
                records.append(RunRecord(**json.loads(text)))
        return records

    async def _count(self, name: str) -> int:
        """The number of runs kept: the first absent number, found by doubling then halving."""
        known = self._counts.get(name, 0)

        async def present(number: int) -> bool:
            return await self.settings.setting(_key(name, number)) is not None

        if known and not await present(known - 1):
            known = 0  # the cache is ahead of the store (another store, say): probe afresh
        if not await present(known):
            return known
        low, high = known, known * 2 + 1  # present(low), then find an absent high
        while await present(high):
            low, high = high, high * 2 + 1
        while high - low > 1:
            middle = (low + high) // 2
            if await present(middle):
                low = middle
            else:
                high = middle
        self._counts[name] = high
        return high


def _key(name: str, number: int) -> str:
    return f"{PREFIX}/{name}/{number}"
