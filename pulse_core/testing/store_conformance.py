"""The behaviour every store plugin owes the core, as pytest classes that plugins subclass:
one suite per role of a store, and :class:`StoreConformance`, all of them.

The core trusts its store with the history people look at after an incident: every check to
the millisecond, outages that open and close, rollups that add up, data that survives a
restart, retention that never takes rollups or outages with it. This suite checks each
method of :class:`pulse_core.store.Store` against a real database, so a store author learns
the contract from a failing test.

How a store author uses it (in the plugin's ``tests/``)::

    import pytest

    from pulse_core.testing.store_conformance import StoreConformance
    from pulse_store_duck import DuckStore


    class TestDuckStoreConformance(StoreConformance):
        store_class = DuckStore

        @pytest.fixture
        def store_url(self, tmp_path) -> str:
            return f"duckdb:///{tmp_path / 'pulse.duckdb'}"

A store that implements one role its own way passes that role's suite: ``HistoryConformance``
(:class:`~pulse_core.store.HistoryStore`), ``UpkeepConformance`` (:class:`~pulse_core.store.Upkeep`,
on a store with the history it keeps up), ``ConfigVersionsConformance``,
``AccountsConformance`` and ``OutboxConformance``. ``StoreConformance`` is their union.

Rules:

- ``store_class``: the class under test (a :class:`~pulse_core.store.Store`, or a class with
  the role under test and ``open()`` / ``close()``); the suite builds
  it with ``store_class(store_url)``, opens it before each test and closes it after.
- ``store_url``: a fixture returning the URL of an empty database of the test's own (a file
  in ``tmp_path``, or a schema or database created for the test and dropped afterwards).
  Some tests open a second store on the same URL to check that data survives a restart.

Every test is an ordinary method, so a plugin may override one to skip it with a reason.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
import pytest_asyncio

from pulse_core.accounts import UsernameTaken, UserSession
from pulse_core.models import (
    CheckResult,
    CheckStatus,
    Endpoint,
    EndpointSnapshot,
    Group,
    Outage,
    Resolution,
    Rollup,
    State,
)
from pulse_core.outbox import OutboxMessage, OutboxState
from pulse_core.store import (
    Accounts,
    ConfigVersions,
    HistoryStore,
    Outbox,
    PageSource,
    Store,
    Upkeep,
)

QUARTER_HOUR_S = 15 * 60
DAY_S = 24 * 60 * 60
#: A UTC midnight, so also the start of a 15-minute bucket.
DAY_START = datetime(2024, 3, 1, tzinfo=UTC).timestamp()
#: The far ends of every range that should hold everything.
EVER = (0.0, 4_000_000_000.0)

GROUP = Group(id="core", name="Core network", color="#336699")
ALPHA = Endpoint(
    id="tcp-127.0.0.1-22", name="Alpha SSH", group_id="core", type="tcp", host="127.0.0.1", port=22
)
BETA = Endpoint(id="icmp-127.0.0.2", name="Beta", group_id="core", type="icmp", host="127.0.0.2")
#: an endpoint without history
GAMMA = Endpoint(id="icmp-127.0.0.3", name="Gamma", group_id="core", type="icmp", host="127.0.0.3")


async def add_catalog(store: HistoryStore) -> None:
    """Give ``store`` the group and the two endpoints the tests write about."""
    await store.sync_catalog([GROUP], [ALPHA, BETA])


def up(ts: float, rtt_ms: float | None = 10.0, endpoint: Endpoint = ALPHA) -> CheckResult:
    return CheckResult(endpoint.id, ts, CheckStatus.UP, rtt_ms)


def down(ts: float, error: str = "connection refused", endpoint: Endpoint = ALPHA) -> CheckResult:
    return CheckResult(endpoint.id, ts, CheckStatus.DOWN, None, error)


def counts(rollup: Rollup) -> tuple[float, int, int, int, int]:
    """A bucket's start and counts, to compare buckets in one assertion."""
    return rollup.bucket_ts, rollup.total, rollup.up, rollup.rtt_count, rollup.down_events


async def three_hours_of_history(store: Any) -> None:
    """ALPHA every 10 minutes, BETA every 20 (every third down), over three hours: the
    first two hours written and rolled up where the store keeps rollups (it may then pack
    them), then the third hour and a late check into the first, not rolled up."""
    await store.sync_catalog([GROUP], [ALPHA, BETA, GAMMA])
    alpha = [up(DAY_START + minute * 60, 5.0 + minute) for minute in range(0, 180, 10)]
    beta = [
        down(DAY_START + minute * 60, endpoint=BETA)
        if minute % 60 == 40
        else up(DAY_START + minute * 60, None, endpoint=BETA)
        for minute in range(0, 180, 20)
    ]
    early = [check for check in alpha + beta if check.ts < DAY_START + 2 * 3600]
    await store.write_checks(early)
    if isinstance(store, Upkeep):
        await store.update_rollups()
    await store.write_checks([check for check in alpha + beta if check not in early])
    await store.write_checks([down(DAY_START + 375, "timed out")])


class OpenedStore:
    """The base of every suite: ``store`` is ``store_class(store_url)``, opened for the test."""

    store_class: ClassVar[type[Any]]

    @pytest_asyncio.fixture
    async def store(self, store_url: str) -> AsyncIterator[Any]:
        store = self.store_class(store_url)
        await store.open()
        yield store
        await store.close()


class HistoryConformance(OpenedStore):
    """What the history role (:class:`~pulse_core.store.HistoryStore`) must do."""

    # -- life cycle ---------------------------------------------------------------------------
    @pytest.mark.asyncio
    async def test_ping_answers_when_open(self, store: HistoryStore) -> None:
        assert await store.ping() is True

    @pytest.mark.asyncio
    async def test_everything_written_survives_close_and_reopen(self, store_url: str) -> None:
        first = self.store_class(store_url)
        await first.open()
        await add_catalog(first)
        written_checks = [up(DAY_START + 1, 12.5), down(DAY_START + 11)]
        outage = Outage(ALPHA.id, DAY_START + 11, None, "connection refused")
        snapshot = EndpointSnapshot(ALPHA.id, State.DOWN, DAY_START + 11, DAY_START + 11, outage)
        await first.write_checks(written_checks)
        await first.write_outages([outage])
        await first.write_snapshots([snapshot])
        await first.close()

        second = self.store_class(store_url)
        await second.open()
        try:
            assert await second.checks(ALPHA.id, *EVER) == written_checks
            assert await second.outages(ALPHA.id, *EVER) == [outage]
            assert await second.load_snapshots() == {ALPHA.id: snapshot}
        finally:
            await second.close()

    # -- catalogue ----------------------------------------------------------------------------
    @pytest.mark.asyncio
    async def test_removed_endpoint_keeps_its_history_and_finds_it_again(
        self, store: Store
    ) -> None:
        await add_catalog(store)
        before = up(DAY_START + 1, endpoint=BETA)
        await store.write_checks([before])

        await store.sync_catalog([GROUP], [ALPHA])
        assert await store.checks(BETA.id, *EVER) == [before]

        renamed = Endpoint(
            id=BETA.id, name="Beta, renamed", group_id="core", type="icmp", host="127.0.0.2"
        )
        await store.sync_catalog([GROUP], [ALPHA, renamed])
        after = down(DAY_START + 11, endpoint=BETA)
        await store.write_checks([after])
        assert await store.checks(BETA.id, *EVER) == [before, after]

    @pytest.mark.asyncio
    async def test_an_update_of_the_catalog_adds_and_removes_endpoints(
        self, store: HistoryStore
    ) -> None:
        await add_catalog(store)
        before = up(DAY_START + 1, endpoint=BETA)
        await store.write_checks([before])
        await store.update_catalog([GROUP], [ALPHA, GAMMA], [GAMMA], [BETA])
        gamma = up(DAY_START + 2, endpoint=GAMMA)
        await store.write_checks([gamma])
        assert await store.checks(GAMMA.id, *EVER) == [gamma]
        assert await store.checks(BETA.id, *EVER) == [before]

        await store.update_catalog([GROUP], [ALPHA, BETA, GAMMA], [BETA], [])
        after = down(DAY_START + 11, endpoint=BETA)
        await store.write_checks([after])
        assert await store.checks(BETA.id, *EVER) == [before, after]

    @pytest.mark.asyncio
    async def test_syncing_the_same_catalog_again_keeps_history(self, store: HistoryStore) -> None:
        await add_catalog(store)
        check = up(DAY_START + 1)
        await store.write_checks([check])
        await add_catalog(store)
        assert await store.checks(ALPHA.id, *EVER) == [check]

    @pytest.mark.asyncio
    async def test_unknown_endpoint_has_no_history(self, store: HistoryStore) -> None:
        await add_catalog(store)
        assert await store.checks("never-configured", *EVER) == []
        assert await store.outages("never-configured", *EVER) == []
        assert await store.rollups("never-configured", Resolution.DAILY, *EVER) == []

    @pytest.mark.asyncio
    async def test_empty_batches_are_accepted(self, store: HistoryStore) -> None:
        await add_catalog(store)
        await store.write_checks([])
        await store.write_outages([])
        await store.write_snapshots([])
        assert await store.checks(ALPHA.id, *EVER) == []

    # -- checks -------------------------------------------------------------------------------
    @pytest.mark.asyncio
    async def test_checks_keep_every_field_to_the_millisecond(self, store: HistoryStore) -> None:
        await add_catalog(store)
        written = [
            CheckResult(ALPHA.id, DAY_START + 0.001, CheckStatus.UP, 0.123, None),
            CheckResult(ALPHA.id, DAY_START + 12.345, CheckStatus.UP, None, None),
            CheckResult(ALPHA.id, DAY_START + 22.999, CheckStatus.DOWN, 1500.25, "HTTP 503"),
            CheckResult(ALPHA.id, DAY_START + 33.5, CheckStatus.DOWN, None, "délai dépassé"),
        ]
        await store.write_checks(written)
        assert await store.checks(ALPHA.id, *EVER) == written

    @pytest.mark.asyncio
    async def test_checks_range_is_half_open_oldest_first_and_per_endpoint(
        self, store: Store
    ) -> None:
        await add_catalog(store)
        alpha = [up(DAY_START + offset) for offset in (0, 10, 20, 30)]
        # Written newest first and interleaved with another endpoint's checks.
        await store.write_checks([up(DAY_START + 10, endpoint=BETA), *reversed(alpha)])
        assert await store.checks(ALPHA.id, DAY_START + 10, DAY_START + 30) == alpha[1:3]
        assert await store.checks(ALPHA.id, DAY_START + 40, DAY_START + 50) == []

    @pytest.mark.asyncio
    async def test_checks_limit_keeps_the_newest_still_oldest_first(self, store: HistoryStore) -> None:
        await add_catalog(store)
        written = [up(DAY_START + offset) for offset in range(0, 100, 10)]
        await store.write_checks(written)
        assert await store.checks(ALPHA.id, *EVER, limit=3) == written[-3:]
        assert await store.checks(ALPHA.id, DAY_START, DAY_START + 25, limit=2) == written[1:3]
        assert await store.checks(ALPHA.id, *EVER, limit=50) == written

    # -- outages ------------------------------------------------------------------------------
    @pytest.mark.asyncio
    async def test_outage_is_updated_by_endpoint_and_start(self, store: HistoryStore) -> None:
        await add_catalog(store)
        opened = Outage(ALPHA.id, DAY_START + 20, None, "connection refused")
        other_endpoint = Outage(BETA.id, DAY_START + 20, None, "timed out")
        await store.write_outages([opened, other_endpoint])
        closed = Outage(ALPHA.id, DAY_START + 20, DAY_START + 80, "connection reset", gap=True)
        await store.write_outages([closed])
        assert await store.outages(ALPHA.id, *EVER) == [closed]
        assert await store.outages(BETA.id, *EVER) == [other_endpoint]

    @pytest.mark.asyncio
    async def test_later_outage_write_in_one_batch_wins(self, store: HistoryStore) -> None:
        await add_catalog(store)
        opened = Outage(ALPHA.id, DAY_START + 20, None, "connection refused")
        closed = Outage(ALPHA.id, DAY_START + 20, DAY_START + 40, "connection refused")
        await store.write_outages([opened, closed])
        assert await store.outages(ALPHA.id, *EVER) == [closed]

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("start", "end", "expected_starts"),
        [
            (0, 1000, [100, 300, 500]),
            (150, 250, [100]),
            (200, 300, []),  # the first ended at 200, the second starts at 300
            (199, 301, [100, 300]),
            (450, 500, []),  # the open outage starts at 500
            (500, 501, [500]),
            (10_000, 20_000, [500]),  # an open outage overlaps every later range
        ],
    )
    async def test_outages_overlapping_a_range(
        self, store: HistoryStore, start: float, end: float, expected_starts: list[float]
    ) -> None:
        await add_catalog(store)
        written = [
            Outage(ALPHA.id, DAY_START + 300, DAY_START + 400, "timed out"),
            Outage(ALPHA.id, DAY_START + 100, DAY_START + 200, "connection refused"),
            Outage(ALPHA.id, DAY_START + 500, None, "host unreachable"),
        ]
        await store.write_outages(written)
        found = await store.outages(ALPHA.id, DAY_START + start, DAY_START + end)
        assert [outage.started_ts - DAY_START for outage in found] == expected_starts

    @pytest.mark.asyncio
    async def test_outages_of_all_endpoints_oldest_first(self, store: HistoryStore) -> None:
        await add_catalog(store)
        alpha = Outage(ALPHA.id, DAY_START + 200, DAY_START + 300)
        beta = Outage(BETA.id, DAY_START + 100, None)
        await store.write_outages([alpha, beta])
        assert await store.outages(None, *EVER) == [beta, alpha]
        assert await store.outages(None, DAY_START + 250, DAY_START + 260) == [beta, alpha]
        assert await store.outages(None, DAY_START + 300, DAY_START + 400) == [beta]

    @pytest.mark.asyncio
    async def test_unreachable_period_keeps_its_cause(self, store: HistoryStore) -> None:
        await add_catalog(store)
        opened = Outage(ALPHA.id, DAY_START + 20, None, "timed out", cause=BETA.id)
        own = Outage(ALPHA.id, DAY_START + 100, None, "connection refused")
        await store.write_outages([opened, own])
        closed = dataclasses.replace(opened, ended_ts=DAY_START + 100)
        await store.write_outages([closed])
        found = await store.outages(ALPHA.id, *EVER)
        assert found == [closed, own]
        assert [outage.cause for outage in found] == [BETA.id, None]

    @pytest.mark.asyncio
    async def test_snapshot_comes_back_with_its_open_unreachable_period(
        self, store: HistoryStore
    ) -> None:
        await add_catalog(store)
        period = Outage(ALPHA.id, DAY_START + 20, None, "timed out", cause=BETA.id)
        await store.write_checks([down(DAY_START + 20)])
        snapshot = EndpointSnapshot(
            ALPHA.id, State.UNREACHABLE, DAY_START + 20, DAY_START + 20, period
        )
        await store.write_snapshots([snapshot])  # the period is stored along with it
        assert (await store.load_snapshots())[ALPHA.id] == snapshot
        assert await store.outages(ALPHA.id, *EVER) == [period]

    # -- snapshots ----------------------------------------------------------------------------
    @pytest.mark.asyncio
    async def test_snapshots_come_back_with_open_outage_and_newest_check(
        self, store: HistoryStore
    ) -> None:
        await add_catalog(store)
        outage = Outage(ALPHA.id, DAY_START + 20.5, None, "connection refused")
        await store.write_outages([outage])
        await store.write_checks([down(DAY_START + 10.25), down(DAY_START + 20.5)])
        alpha = EndpointSnapshot(ALPHA.id, State.DOWN, DAY_START + 20.5, DAY_START + 20.5, outage)
        beta = EndpointSnapshot(BETA.id, State.UNKNOWN, None, None, None)
        await store.write_snapshots([alpha, beta])
        await store.write_checks([down(DAY_START + 30.75)])

        loaded = await store.load_snapshots()
        assert loaded[ALPHA.id].last_check_ts == DAY_START + 30.75
        assert loaded[ALPHA.id].open_outage == outage
        assert (loaded[ALPHA.id].state, loaded[ALPHA.id].state_since) == (
            State.DOWN,
            DAY_START + 20.5,
        )
        assert loaded[BETA.id] == beta

    @pytest.mark.asyncio
    async def test_snapshot_replaces_the_previous_one(self, store: HistoryStore) -> None:
        await add_catalog(store)
        outage = Outage(ALPHA.id, DAY_START + 20, None, "connection refused")
        await store.write_outages([outage])
        await store.write_snapshots(
            [EndpointSnapshot(ALPHA.id, State.DOWN, DAY_START + 20, None, outage)]
        )
        recovered = EndpointSnapshot(ALPHA.id, State.UP, DAY_START + 90, None, None)
        await store.write_snapshots([recovered])
        assert await store.load_snapshots() == {ALPHA.id: recovered}

    # -- bulk reads ---------------------------------------------------------------------------
    @pytest.mark.asyncio
    async def test_checks_many_are_those_of_each_endpoint_in_the_order_given(
        self, store: Store
    ) -> None:
        await three_hours_of_history(store)
        start, end = DAY_START + 5 * 60, DAY_START + 150 * 60
        ids = [BETA.id, "nowhere", GAMMA.id, ALPHA.id]
        pages = [page async for page in store.checks_many(ids, start, end, page_rows=4)]
        expected = await store.checks(BETA.id, start, end) + await store.checks(ALPHA.id, start, end)
        assert [check for page in pages for check in page] == expected
        assert len(expected) == 7 + 15 and len(pages) > 2 and all(pages)
        everything = [check async for page in store.checks_many(ids, *EVER) for check in page]
        assert everything == await store.checks(BETA.id, *EVER) + await store.checks(ALPHA.id, *EVER)
        assert [page async for page in store.checks_many([], *EVER)] == []

    @pytest.mark.asyncio
    async def test_a_page_source_reads_what_the_bulk_reads_hand_over(self, store: Store) -> None:
        """A store that offers exports a :class:`~pulse_core.store.PageSource`
        (``bulk_read_source``) gives another process the pages of its own bulk reads."""
        await three_hours_of_history(store)
        ids = [BETA.id, "nowhere", GAMMA.id, ALPHA.id]
        days = (DAY_START - DAY_S, DAY_START + 2 * DAY_S)  # callers clip to where data is
        for start, end in [days, (DAY_START + 5 * 60, DAY_START + 150 * 60)]:
            source = store.bulk_read_source(ids, None, start, end, page_rows=4)
            if source is None:
                pytest.skip("this store is read in its own process only (the default)")
            expected = [page async for page in store.check_rows_many(ids, start, end, page_rows=4)]
            assert expected and read_elsewhere(source) == expected
        for resolution in Resolution:
            source = store.bulk_read_source(ids, resolution, *days, page_rows=3)
            expected = [
                page async for page in store.rollup_rows_many(ids, resolution, *days, page_rows=3)
            ]
            assert read_elsewhere(source) == expected


def read_elsewhere(source: PageSource | None) -> list[Any]:
    """The non-empty pages of ``source`` as an export's worker reads them: pickled over,
    planned, closed (as before a fork), then read page by page (a page may be empty, for the
    workers sharing the plan to keep in step)."""
    assert source is not None
    copy: PageSource = pickle.loads(pickle.dumps(source))
    pages = copy.plan()
    copy.close()
    try:
        return [read for page in pages if (read := copy.read(page))]
    finally:
        copy.close()


class UpkeepConformance(OpenedStore):
    """What the rollups and maintenance role (:class:`~pulse_core.store.Upkeep`) must do, on
    a store with the history role whose buckets it keeps."""

    @pytest.mark.asyncio
    async def test_checks_written_before_a_restart_still_reach_their_rollups(
        self, store_url: str
    ) -> None:
        first = self.store_class(store_url)
        await first.open()
        await add_catalog(first)
        await first.write_checks([up(DAY_START + 1, 12.5), down(DAY_START + 11)])
        await first.close()

        second = self.store_class(store_url)
        await second.open()
        try:
            assert await second.update_rollups() > 0
            (bucket,) = await second.rollups(ALPHA.id, Resolution.QUARTER_HOUR, *EVER)
            assert counts(bucket) == (DAY_START, 2, 1, 1, 1)
        finally:
            await second.close()

    @pytest.mark.asyncio
    async def test_empty_batches_make_no_buckets(self, store: Store) -> None:
        await add_catalog(store)
        await store.write_checks([])
        await store.write_outages([])
        assert await store.update_rollups() == 0

    @pytest.mark.asyncio
    async def test_rollups_many_are_those_of_each_endpoint_in_pages(self, store: Store) -> None:
        await three_hours_of_history(store)
        ids = [BETA.id, "nowhere", GAMMA.id, ALPHA.id]
        for resolution in Resolution:
            for page_rows in (1, 5, 10_000):
                pages = [
                    page
                    async for page in store.rollups_many(
                        ids, resolution, DAY_START, DAY_START + 2 * DAY_S, page_rows
                    )
                ]
                expected = await store.rollups(BETA.id, resolution, *EVER) + await store.rollups(
                    ALPHA.id, resolution, *EVER
                )
                assert [rollup for page in pages for rollup in page] == expected
                assert all(0 < len(page) <= page_rows for page in pages)
        start = DAY_START + QUARTER_HOUR_S
        pages = store.rollups_many([ALPHA.id], Resolution.QUARTER_HOUR, start, start + 1)
        assert [rollup.bucket_ts async for page in pages for rollup in page] == [start]

    # -- rollups ------------------------------------------------------------------------------
    @pytest.mark.asyncio
    async def test_rollup_reference_vector(self, store: Store) -> None:
        """docs/api.md: up, up, down with RTTs 45.2 and 52.1 → 66.67 %, 48.65 ms, 1 event."""
        await add_catalog(store)
        await store.write_checks(
            [up(DAY_START + 10, 45.2), up(DAY_START + 20, 52.1), down(DAY_START + 30)]
        )
        assert await store.update_rollups() == 2  # one 15-minute and one daily bucket
        assert await store.update_rollups() == 0  # nothing new since

        for resolution in Resolution:
            (bucket,) = await store.rollups(ALPHA.id, resolution, *EVER)
            assert (bucket.resolution, bucket.bucket_ts) == (resolution, DAY_START)
            assert (bucket.up_pct, bucket.avg_rtt_ms, bucket.down_events) == (66.67, 48.65, 1)

    @pytest.mark.asyncio
    async def test_bucket_is_recomputed_from_all_its_checks(self, store: Store) -> None:
        await add_catalog(store)
        await store.write_checks([up(DAY_START + 10, 45.2), up(DAY_START + 20, 52.1)])
        await store.update_rollups()
        await store.write_checks([down(DAY_START + 30)])
        await store.update_rollups()
        for resolution in Resolution:
            (bucket,) = await store.rollups(ALPHA.id, resolution, *EVER)
            assert counts(bucket) == (DAY_START, 3, 2, 2, 1)
            assert bucket.rtt_sum_ms == pytest.approx(97.3)

    @pytest.mark.asyncio
    async def test_buckets_are_cut_at_utc_quarter_hours_and_midnight(self, store: Store) -> None:
        await add_catalog(store)
        await store.write_checks(
            [
                up(DAY_START - 0.001),
                up(DAY_START),
                up(DAY_START + QUARTER_HOUR_S - 0.001),
                up(DAY_START + QUARTER_HOUR_S),
            ]
        )
        await store.update_rollups()
        quarter_hours = await store.rollups(ALPHA.id, Resolution.QUARTER_HOUR, *EVER)
        assert [(bucket.bucket_ts - DAY_START, bucket.total) for bucket in quarter_hours] == [
            (-QUARTER_HOUR_S, 1),
            (0, 2),
            (QUARTER_HOUR_S, 1),
        ]
        days = await store.rollups(ALPHA.id, Resolution.DAILY, *EVER)
        assert [(bucket.bucket_ts - DAY_START, bucket.total) for bucket in days] == [
            (-DAY_S, 1),
            (0, 3),
        ]

    @pytest.mark.asyncio
    async def test_rollups_are_selected_by_bucket_start(self, store: Store) -> None:
        await add_catalog(store)
        await store.write_checks([up(DAY_START + n * QUARTER_HOUR_S + 5) for n in range(4)])
        await store.update_rollups()
        found = await store.rollups(
            ALPHA.id, Resolution.QUARTER_HOUR, DAY_START + 1, DAY_START + 3 * QUARTER_HOUR_S
        )
        assert [bucket.bucket_ts - DAY_START for bucket in found] == [
            QUARTER_HOUR_S,
            2 * QUARTER_HOUR_S,
        ]

    @pytest.mark.asyncio
    async def test_only_up_to_down_transitions_are_down_events(self, store: Store) -> None:
        await add_catalog(store)
        statuses: list[Callable[[float], CheckResult]] = [down, down, up, down, down]
        await store.write_checks([check(DAY_START + n) for n, check in enumerate(statuses)])
        await store.update_rollups()
        (bucket,) = await store.rollups(ALPHA.id, Resolution.QUARTER_HOUR, *EVER)
        assert bucket.down_events == 1

    @pytest.mark.asyncio
    async def test_down_event_counts_in_its_bucket_when_the_up_check_is_in_the_previous(
        self, store: Store
    ) -> None:
        await add_catalog(store)
        await store.write_checks([up(DAY_START - 1)])
        await store.update_rollups()
        await store.write_checks([down(DAY_START + 1)])
        await store.update_rollups()
        for resolution, previous_start in (
            (Resolution.QUARTER_HOUR, DAY_START - QUARTER_HOUR_S),
            (Resolution.DAILY, DAY_START - DAY_S),
        ):
            previous, current = await store.rollups(ALPHA.id, resolution, *EVER)
            assert counts(previous) == (previous_start, 1, 1, 1, 0)
            assert counts(current) == (DAY_START, 1, 0, 0, 1)

    @pytest.mark.asyncio
    async def test_down_event_counts_after_a_gap_in_monitoring(self, store: Store) -> None:
        await add_catalog(store)
        await store.write_checks([up(DAY_START - 5 * 3600)])
        await store.update_rollups()
        await store.write_checks([down(DAY_START + 1)])
        await store.update_rollups()
        (bucket,) = await store.rollups(ALPHA.id, Resolution.QUARTER_HOUR, DAY_START, DAY_START + 1)
        assert counts(bucket) == (DAY_START, 1, 0, 0, 1)

    @pytest.mark.asyncio
    async def test_daily_bucket_is_the_exact_sum_of_its_quarter_hours(self, store: Store) -> None:
        await add_catalog(store)
        # A check every 5 minutes for 30 hours across midnight: down for 10 minutes each
        # hour, and RTTs that vary (a down check's RTT is not a successful RTT).
        start = DAY_START - 6 * 3600
        written = []
        for n in range(30 * 12):
            ts = start + n * 300
            if n % 12 in (3, 4):
                written.append(CheckResult(ALPHA.id, ts, CheckStatus.DOWN, 999.0, "HTTP 500"))
            else:
                written.append(up(ts, rtt_ms=10.0 + n % 7 * 0.25))
        await store.write_checks(written[:200])
        await store.update_rollups()
        await store.write_checks(written[200:])
        await store.update_rollups()

        quarter_hours = await store.rollups(ALPHA.id, Resolution.QUARTER_HOUR, *EVER)
        days = await store.rollups(ALPHA.id, Resolution.DAILY, *EVER)
        assert [day.bucket_ts for day in days] == [DAY_START - DAY_S, DAY_START]
        for day in days:
            day_end = day.bucket_ts + DAY_S
            inside = [q for q in quarter_hours if day.bucket_ts <= q.bucket_ts < day_end]
            assert day.total == sum(q.total for q in inside)
            assert day.up == sum(q.up for q in inside)
            assert day.rtt_count == sum(q.rtt_count for q in inside)
            assert day.down_events == sum(q.down_events for q in inside)
            assert day.rtt_sum_ms == pytest.approx(sum(q.rtt_sum_ms for q in inside))
            checks_of_day = [c for c in written if day.bucket_ts <= c.ts < day_end]
            assert day.total == len(checks_of_day)
            assert day.down_events == len(checks_of_day) // 12
        assert sum(day.up for day in days) == 30 * 10

    # -- retention ----------------------------------------------------------------------------
    @pytest.mark.asyncio
    async def test_prune_deletes_old_checks_in_batches_and_keeps_rollups_and_outages(
        self, store: Store
    ) -> None:
        await add_catalog(store)
        cutoff = DAY_START + 250
        old = [up(DAY_START + n * 10) for n in range(25)]
        recent = [up(cutoff + n * 10) for n in range(5)]
        await store.write_checks(old + recent)
        await store.update_rollups()
        outage = Outage(ALPHA.id, DAY_START + 5, DAY_START + 15, "timed out")
        await store.write_outages([outage])
        rollups_before = {
            resolution: await store.rollups(ALPHA.id, resolution, *EVER)
            for resolution in Resolution
        }

        deleted = [await store.prune_checks(cutoff, 10) for _ in range(4)]

        assert deleted == [10, 10, 5, 0]
        assert await store.checks(ALPHA.id, *EVER) == recent
        assert await store.outages(ALPHA.id, *EVER) == [outage]
        for resolution, before in rollups_before.items():
            assert await store.rollups(ALPHA.id, resolution, *EVER) == before


class ConfigVersionsConformance(OpenedStore):
    """What the configuration versions role (:class:`~pulse_core.store.ConfigVersions`) must do."""

    @pytest.mark.asyncio
    async def test_config_versions_survive_close_and_reopen(self, store_url: str) -> None:
        first = self.store_class(store_url)
        await first.open()
        version = await first.add_config_version("targets: []\n", "0" * 64, DAY_START, "ops", None)
        await first.close()

        second = self.store_class(store_url)
        await second.open()
        try:
            assert await second.config_versions() == [version.info]
            assert await second.config_version(version.id) == version
        finally:
            await second.close()

    @pytest.mark.asyncio
    async def test_config_versions_are_kept_verbatim_newest_first(self, store: ConfigVersions) -> None:
        first = await store.add_config_version(
            "targets: []\n", "a" * 64, DAY_START + 0.125, None, None
        )
        second = await store.add_config_version(
            "targets:\n  - host: 127.0.0.1  # ünïcode\n", "b" * 64, DAY_START + 60, "alice", "add"
        )
        assert second.id > first.id
        assert (first.yaml_text, first.sha256, first.applied_ts) == (
            "targets: []\n",
            "a" * 64,
            DAY_START + 0.125,
        )
        assert (second.actor, second.note, first.actor, first.note) == ("alice", "add", None, None)
        assert await store.config_versions() == [second.info, first.info]
        assert await store.config_versions(limit=1) == [second.info]
        assert await store.config_version(first.id) == first
        assert await store.config_version(second.id + 1000) is None


class AccountsConformance(OpenedStore):
    """What the accounts and keys role (:class:`~pulse_core.store.Accounts`) must do."""

    @pytest.mark.asyncio
    async def test_users_are_kept_found_and_listed_oldest_first(self, store: Accounts) -> None:
        alice = await store.add_user("alice", "alice@example.org", "admin", "hash-a", DAY_START)
        bob = await store.add_user("bob", None, "viewer", "hash-b", DAY_START + 0.25)
        assert bob.id > alice.id
        assert (alice.username, alice.email, alice.role, alice.password_hash) == (
            "alice", "alice@example.org", "admin", "hash-a",
        )
        assert (alice.active, alice.created_ts) == (True, DAY_START)
        assert await store.users() == [alice, bob]
        assert await store.user(bob.id) == bob
        assert await store.user_by_username("alice") == alice
        assert await store.user(bob.id + 1000) is None
        assert await store.user_by_username("Alice") is None

    @pytest.mark.asyncio
    async def test_a_taken_username_is_refused_and_the_first_user_kept(self, store: Accounts) -> None:
        first = await store.add_user("alice", None, "admin", "hash-a", DAY_START)
        with pytest.raises(UsernameTaken):
            await store.add_user("alice", None, "viewer", "hash-b", DAY_START + 1)
        assert await store.users() == [first]

    @pytest.mark.asyncio
    async def test_update_user_changes_only_what_is_given(self, store: Accounts) -> None:
        user = await store.add_user("carol", None, "editor", "old-hash", DAY_START)
        demoted = await store.update_user(user.id, role="viewer")
        assert demoted == dataclasses.replace(user, role="viewer")
        changed = await store.update_user(user.id, password_hash="new-hash", end_sessions=True)
        assert changed == dataclasses.replace(user, role="viewer", password_hash="new-hash")
        deactivated = await store.update_user(user.id, active=False)
        assert deactivated == dataclasses.replace(changed, active=False)
        assert await store.user(user.id) == deactivated
        assert await store.update_user(user.id + 1000, role="admin") is None

    @pytest.mark.asyncio
    async def test_sessions_are_kept_touched_and_ended_one_by_one(self, store: Accounts) -> None:
        user = await store.add_user("frank", None, "viewer", "hash", DAY_START)
        first = UserSession("a" * 64, user.id, DAY_START, DAY_START, DAY_START + 3600)
        second = UserSession("b" * 64, user.id, DAY_START + 1, DAY_START + 1, DAY_START + 3601)
        await store.add_session(first)
        await store.add_session(second)
        assert await store.session(first.id) == first
        assert await store.session("c" * 64) is None

        await store.touch_session(first.id, DAY_START + 60.5, DAY_START + 7200)
        await store.touch_session("c" * 64, DAY_START + 61, DAY_START + 7200)
        assert await store.session(first.id) == dataclasses.replace(
            first, last_seen_ts=DAY_START + 60.5, expires_ts=DAY_START + 7200
        )
        assert await store.end_session(first.id) is True
        assert await store.end_session(first.id) is False
        assert await store.session(first.id) is None
        assert await store.session(second.id) == second

    @pytest.mark.asyncio
    async def test_ending_a_users_sessions_leaves_other_users_sessions(self, store: Accounts) -> None:
        grace = await store.add_user("grace", None, "editor", "hash-g", DAY_START)
        heidi = await store.add_user("heidi", None, "editor", "hash-h", DAY_START)
        graces = [UserSession(f"{n}" * 64, grace.id, DAY_START, DAY_START, DAY_START + 60)
                  for n in (1, 2)]
        heidis = UserSession("3" * 64, heidi.id, DAY_START, DAY_START, DAY_START + 60)
        for kept in (*graces, heidis):
            await store.add_session(kept)
        await store.update_user(grace.id, role="viewer")
        assert await store.session(graces[0].id) == graces[0]  # only end_sessions ends them

        await store.update_user(grace.id, active=False, end_sessions=True)
        assert [await store.session(kept.id) for kept in graces] == [None, None]
        assert await store.session(heidis.id) == heidis

    @pytest.mark.asyncio
    async def test_pruning_deletes_the_expired_sessions_only(self, store: Accounts) -> None:
        user = await store.add_user("ivan", None, "viewer", "hash", DAY_START)
        expired = UserSession("d" * 64, user.id, DAY_START, DAY_START, DAY_START + 10)
        at_the_edge = UserSession("e" * 64, user.id, DAY_START, DAY_START, DAY_START + 20)
        valid = UserSession("f" * 64, user.id, DAY_START, DAY_START, DAY_START + 20.001)
        for kept in (expired, at_the_edge, valid):
            await store.add_session(kept)
        assert await store.prune_sessions(DAY_START + 20) == 2
        assert await store.session(expired.id) is None
        assert await store.session(at_the_edge.id) is None
        assert await store.session(valid.id) == valid
        assert await store.prune_sessions(DAY_START + 20) == 0

    @pytest.mark.asyncio
    async def test_api_keys_are_found_by_prefix_marked_used_and_deleted(
        self, store: Store
    ) -> None:
        owner = await store.add_user("dave", None, "admin", "hash", DAY_START)
        made_by_owner = await store.add_api_key(
            "ci", "editor", "pfx00001", "a" * 64, owner.id, DAY_START + 1
        )
        made_on_cli = await store.add_api_key(
            "grafana", "viewer", "pfx00002", "b" * 64, None, DAY_START + 2
        )
        assert made_on_cli.id > made_by_owner.id
        assert (made_by_owner.name, made_by_owner.role, made_by_owner.key_hash) == (
            "ci", "editor", "a" * 64,
        )
        assert (made_by_owner.user_id, made_on_cli.user_id) == (owner.id, None)
        assert (made_by_owner.created_ts, made_by_owner.last_used_ts) == (DAY_START + 1, None)
        assert await store.api_keys() == [made_by_owner, made_on_cli]
        assert await store.api_key_by_prefix("pfx00002") == made_on_cli
        assert await store.api_key_by_prefix("pfx00003") is None

        await store.mark_api_key_used(made_on_cli.id, DAY_START + 60.5)
        await store.mark_api_key_used(made_on_cli.id + 1000, DAY_START + 61)
        used = await store.api_key_by_prefix("pfx00002")
        assert used == dataclasses.replace(made_on_cli, last_used_ts=DAY_START + 60.5)

        assert await store.delete_api_key(made_by_owner.id) is True
        assert await store.delete_api_key(made_by_owner.id) is False
        assert await store.api_key_by_prefix("pfx00001") is None
        assert await store.api_keys() == [used]

    @pytest.mark.asyncio
    async def test_a_setting_keeps_its_first_value(self, store: Accounts) -> None:
        assert await store.setting("session_secret") is None
        assert await store.add_setting_if_absent("session_secret", "first") == "first"
        assert await store.add_setting_if_absent("session_secret", "second") == "first"
        assert await store.setting("session_secret") == "first"

    @pytest.mark.asyncio
    async def test_accounts_survive_close_and_reopen(self, store_url: str) -> None:
        first = self.store_class(store_url)
        await first.open()
        user = await first.add_user("erin", None, "admin", "hash", DAY_START)
        key = await first.add_api_key("ci", "viewer", "pfx00009", "c" * 64, user.id, DAY_START)
        signed_in = UserSession("9" * 64, user.id, DAY_START, DAY_START, DAY_START + 60)
        await first.add_session(signed_in)
        await first.add_setting_if_absent("session_secret", "kept")
        await first.close()

        second = self.store_class(store_url)
        await second.open()
        try:
            assert await second.users() == [user]
            assert await second.api_keys() == [key]
            assert await second.session(signed_in.id) == signed_in
            assert await second.setting("session_secret") == "kept"
        finally:
            await second.close()


class OutboxConformance(OpenedStore):
    """What the outbox role (:class:`~pulse_core.store.Outbox`) must do."""

    @pytest.mark.asyncio
    async def test_outbox_keeps_a_message_once_and_pending_oldest_first(self, store: Outbox) -> None:
        newer = outbox_message("b", created_ts=DAY_START + 5)
        older = outbox_message("a", created_ts=DAY_START)
        assert await store.add_to_outbox([newer, older]) == 2
        assert await store.add_to_outbox([outbox_message("a", kind="reminder")]) == 0
        assert await store.pending_messages() == [older, newer]

    @pytest.mark.asyncio
    async def test_outbox_outcomes_survive_close_and_reopen(self, store_url: str) -> None:
        first = self.store_class(store_url)
        await first.open()
        message = outbox_message("a")
        await first.add_to_outbox([message, outbox_message("b")])
        delivered = dataclasses.replace(
            message, state=OutboxState.DELIVERED, attempts=2, last_attempt_ts=DAY_START + 9,
            last_error="HTTP 503: busy", delivered_ts=DAY_START + 9, reference="sys-1",
        )
        await first.update_message(delivered)
        await first.close()

        second = self.store_class(store_url)
        await second.open()
        try:
            assert [m.id for m in await second.pending_messages()] == ["b"]
            assert await second.thread_reference("servicenow", "ep@1") == "sys-1"
            assert await second.thread_reference("servicenow", "other") is None
            assert await second.thread_reference("jira", "ep@1") is None
        finally:
            await second.close()

    @pytest.mark.asyncio
    async def test_dead_letters_newest_first_and_health_by_notifier(self, store: Outbox) -> None:
        messages = [outbox_message(name) for name in "abcd"]
        await store.add_to_outbox(messages)
        await store.update_message(dataclasses.replace(
            messages[0], state=OutboxState.DELIVERED, attempts=1,
            last_attempt_ts=DAY_START + 1, delivered_ts=DAY_START + 1,
        ))
        for index, message in enumerate(messages[1:3]):
            await store.update_message(dataclasses.replace(
                message, state=OutboxState.DEAD, attempts=1,
                last_attempt_ts=DAY_START + 10 + index, last_error=f"HTTP 400: bad {index}",
            ))
        dead = await store.dead_letters(limit=10)
        assert [m.id for m in dead] == ["c", "b"]
        assert dead[0].last_error == "HTTP 400: bad 1"
        health = (await store.outbox_health())["servicenow"]
        assert (health.sent, health.failed, health.pending) == (1, 2, 1)
        assert health.last_success_ts == DAY_START + 1
        assert (health.last_error, health.last_error_ts) == ("HTTP 400: bad 1", DAY_START + 11)

    @pytest.mark.asyncio
    async def test_outcomes_of_several_messages_are_stored_together(self, store: Outbox) -> None:
        messages = [outbox_message(name) for name in "abc"]
        await store.add_to_outbox(messages)
        await store.update_messages([
            dataclasses.replace(messages[0], state=OutboxState.DELIVERED, attempts=1,
                                last_attempt_ts=DAY_START + 1, delivered_ts=DAY_START + 1),
            dataclasses.replace(messages[1], state=OutboxState.DEAD, attempts=1,
                                last_attempt_ts=DAY_START + 2, last_error="HTTP 400 Bad Request"),
            dataclasses.replace(messages[2], attempts=1, last_attempt_ts=DAY_START + 3,
                                last_error="no answer within 30 s", next_attempt_ts=DAY_START + 9),
        ])
        (waiting,) = await store.pending_messages()
        assert (waiting.id, waiting.attempts, waiting.next_attempt_ts) == ("c", 1, DAY_START + 9)
        assert [m.id for m in await store.dead_letters(limit=10)] == ["b"]
        assert (await store.outbox_health())["servicenow"].sent == 1

    @pytest.mark.asyncio
    async def test_prune_outbox_keeps_pending_messages(self, store: Outbox) -> None:
        old_delivered = outbox_message("a", created_ts=DAY_START)
        old_pending = outbox_message("b", created_ts=DAY_START)
        recent = outbox_message("c", created_ts=DAY_START + DAY_S)
        await store.add_to_outbox([old_delivered, old_pending, recent])
        await store.update_message(dataclasses.replace(
            old_delivered, state=OutboxState.DELIVERED, delivered_ts=DAY_START
        ))
        assert await store.prune_outbox(before=DAY_START + 60) == 1
        assert [m.id for m in await store.pending_messages()] == ["b", "c"]

    @pytest.mark.asyncio
    async def test_announced_marks_only_rise_and_come_with_the_messages(
        self, store: Store
    ) -> None:
        assert await store.announced_up_to() == {}
        added = await store.add_to_outbox(
            [outbox_message("a")], {ALPHA.id: DAY_START + 10, BETA.id: DAY_START + 5}
        )
        assert added == 1
        assert await store.add_to_outbox([], {ALPHA.id: DAY_START + 3}) == 0
        assert await store.add_to_outbox([], {BETA.id: DAY_START + 20}) == 0
        assert await store.announced_up_to() == {
            ALPHA.id: DAY_START + 10,
            BETA.id: DAY_START + 20,
        }
        assert [m.id for m in await store.pending_messages()] == ["a"]

    @pytest.mark.asyncio
    async def test_announced_marks_survive_close_and_reopen(self, store_url: str) -> None:
        first = self.store_class(store_url)
        await first.open()
        await first.add_to_outbox([], {ALPHA.id: DAY_START + 1.5})
        await first.close()

        second = self.store_class(store_url)
        await second.open()
        try:
            assert await second.announced_up_to() == {ALPHA.id: DAY_START + 1.5}
        finally:
            await second.close()


class StoreConformance(
    HistoryConformance,
    UpkeepConformance,
    ConfigVersionsConformance,
    AccountsConformance,
    OutboxConformance,
):
    """What every :class:`~pulse_core.store.Store` must do, role after role; see the module
    for how to use it."""


def outbox_message(
    message_id: str, created_ts: float = DAY_START, kind: str = "status_change"
) -> OutboxMessage:
    """A pending ServiceNow message of thread ``ep@1`` whose variables hold awkward text."""
    return OutboxMessage(
        id=message_id, notifier="servicenow", kind=kind,
        variables={"endpoint": {"name": 'a"}, "x": {"'}, "status": "offline", "n": 1.5},
        created_ts=created_ts, thread_key="ep@1", next_attempt_ts=created_ts,
    )
