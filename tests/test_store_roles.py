"""A store may implement one role its own way and take the others from another store.

``FileHistory`` implements only the history role (:class:`pulse_core.store.HistoryStore`):
checks, outages and states in a file of its own, and no buckets (it keeps no rollups, so it
needs no upkeep). It passes the history role's conformance suite alone; combined with the SQL
store for every other role (configuration versions, accounts, the outbox, upkeep of the SQL
tables), it runs Pulse.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest

from pulse_core.app import load_plugins, started
from pulse_core.contract import (
    PAGE_ROWS,
    CheckResult,
    CheckStatus,
    Endpoint,
    EndpointSnapshot,
    Group,
    HistoryStore,
    Outage,
    Resolution,
    Rollup,
    Store,
    hookimpl,
)
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.store_conformance import HistoryConformance
from pulse_core.testing.waiting import eventually
from pulse_store_sql import SqlStore


class FileHistory(HistoryStore):
    """The history role in one pickle file (``history:///path``), read at ``open`` and
    written at ``close``: what a store of a time-series database would implement."""

    def __init__(self, url: str) -> None:
        self.history_path = Path(url.split("://", 1)[1])
        self._checks: dict[str, list[CheckResult]] = {}
        self._outages: dict[tuple[str, float], Outage] = {}
        self._snapshots: dict[str, EndpointSnapshot] = {}

    async def open(self) -> None:
        if self.history_path.exists():
            self._checks, self._outages, self._snapshots = pickle.loads(
                self.history_path.read_bytes()
            )

    async def close(self) -> None:
        kept = (self._checks, self._outages, self._snapshots)
        self.history_path.write_bytes(pickle.dumps(kept))

    async def ping(self) -> bool:
        return True

    async def sync_catalog(self, groups: Sequence[Group], endpoints: Sequence[Endpoint]) -> None:
        """Nothing to do: history is kept by endpoint id, whatever the configuration says."""

    async def write_checks(self, checks: Sequence[CheckResult]) -> None:
        for check in checks:
            kept = self._checks.setdefault(check.endpoint_id, [])
            kept.append(check)
            kept.sort(key=lambda known: known.ts)

    async def write_outages(self, outages: Sequence[Outage]) -> None:
        for outage in outages:
            self._outages[outage.endpoint_id, outage.started_ts] = outage

    async def write_snapshots(self, snapshots: Sequence[EndpointSnapshot]) -> None:
        self._snapshots.update((snapshot.endpoint_id, snapshot) for snapshot in snapshots)
        # an open period unreachable behind a parent is kept with the state that holds it
        await self.write_outages([
            snapshot.open_outage for snapshot in snapshots
            if snapshot.open_outage is not None and snapshot.open_outage.cause is not None
        ])

    async def load_snapshots(self) -> dict[str, EndpointSnapshot]:
        loaded = {}
        for endpoint_id, snapshot in self._snapshots.items():
            checks = self._checks.get(endpoint_id)
            last = checks[-1].ts if checks else snapshot.last_check_ts
            loaded[endpoint_id] = EndpointSnapshot(
                endpoint_id, snapshot.state, snapshot.state_since, last, snapshot.open_outage
            )
        return loaded

    async def checks(
        self, endpoint_id: str, start: float, end: float, limit: int | None = None
    ) -> list[CheckResult]:
        found = [check for check in self._checks.get(endpoint_id, ()) if start <= check.ts < end]
        return found[-limit:] if limit is not None else found

    async def outages(self, endpoint_id: str | None, start: float, end: float) -> list[Outage]:
        found = [
            outage for outage in self._outages.values()
            if endpoint_id in (None, outage.endpoint_id) and outage.started_ts < end
            and (outage.ended_ts is None or outage.ended_ts > start)
        ]
        return sorted(found, key=lambda outage: outage.started_ts)

    async def rollups(
        self, endpoint_id: str, resolution: Resolution, start: float, end: float
    ) -> list[Rollup]:
        return []

    async def checks_many(
        self, endpoint_ids: Sequence[str], start: float, end: float, page_rows: int = PAGE_ROWS
    ) -> AsyncIterator[list[CheckResult]]:
        page: list[CheckResult] = []
        for endpoint_id in endpoint_ids:
            for check in await self.checks(endpoint_id, start, end):
                page.append(check)
                if len(page) == page_rows:
                    yield page
                    page = []
        if page:
            yield page

    async def rollups_many(
        self,
        endpoint_ids: Sequence[str],
        resolution: Resolution,
        start: float,
        end: float,
        page_rows: int = PAGE_ROWS,
    ) -> AsyncIterator[list[Rollup]]:
        return
        yield


class TestFileHistoryConformance(HistoryConformance):
    store_class = FileHistory

    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"history://{tmp_path / 'history.pickle'}"


class FileHistoryWithSql(FileHistory, SqlStore):
    """History in the file, every other role in SQL (``history+sqlite:///path/pulse.db``:
    the history file lies beside the database)."""

    url_schemes = ("history",)

    def __init__(self, url: str) -> None:
        sql_url = url.split("+", 1)[1]
        SqlStore.__init__(self, sql_url)
        FileHistory.__init__(self, f"history://{sql_url.split(':///', 1)[1]}.history")
        self.url = url

    async def open(self) -> None:
        await SqlStore.open(self)
        await FileHistory.open(self)

    async def close(self) -> None:
        await FileHistory.close(self)
        await SqlStore.close(self)


class HistoryStorePlugin:
    @hookimpl
    def pulse_register_stores(self, register: Callable[[type[Store]], None]) -> None:
        register(FileHistoryWithSql)


def test_the_combination_plays_every_role() -> None:
    assert issubclass(FileHistoryWithSql, Store)
    assert FileHistoryWithSql.__abstractmethods__ == frozenset()
    assert FileHistoryWithSql.write_checks is FileHistory.write_checks
    assert FileHistoryWithSql.add_to_outbox is SqlStore.add_to_outbox


async def test_pulse_runs_on_history_of_its_own_and_sql_for_the_rest(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    database = tmp_path / "pulse.db"
    config = tmp_path / "pulse.yaml"
    config.write_text(
        "version: 1\n"
        f"storage: {{url: 'history+sqlite:///{database}'}}\n"
        "groups: [{id: site, name: Site}]\n"
        "targets:\n"
        f"  - {{type: tcp, name: Door, host: 127.0.0.1, port: {tcp_listener.port},"
        " group: site, interval_seconds: 1}\n"
    )
    plugins = load_plugins()
    plugins.register(HistoryStorePlugin(), name="history-store")
    async with started(config, plugins) as pulse:
        (endpoint,) = pulse.config.endpoints

        async def checks_kept() -> list[CheckResult] | None:
            return await pulse.store.checks(endpoint.id, 0, time.time() + 1) or None

        await eventually(checks_kept)
        versions = await pulse.store.config_versions()
        in_sql = await SqlStore.checks(pulse.store, endpoint.id, 0, time.time() + 1)
    assert [version.id for version in versions] == [pulse.config_version_id]
    assert in_sql == []  # the checks went to the history file
    reopened = FileHistory(f"history://{database}.history")
    await reopened.open()
    kept = await reopened.checks(endpoint.id, 0, time.time() + 1)
    assert kept and all(check.status is CheckStatus.UP for check in kept)
