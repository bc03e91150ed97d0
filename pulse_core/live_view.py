"""The members of :class:`pulse_core.contract.view.PulseView` on the application object.

``Pulse`` inherits them, so hooks and routes are handed the application itself, typed as the
view: no second object to keep in step across a reconfiguration. Each member copies what it
reads from the engine into the contract's values, so a plugin never holds the engine's
objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pulse_core.alerting.engine import AlertEngine
from pulse_core.cluster.joining import node_identity
from pulse_core.cluster.runtime import Cluster
from pulse_core.config.model import PulseConfig
from pulse_core.contract.cluster import ClusterStatus
from pulse_core.contract.reports import ReportMessage
from pulse_core.contract.view import (
    DurationHistogram,
    EndpointStatus,
    NotifierHealth,
    SchedulerStats,
    StoreStats,
)
from pulse_core.engine.monitor import DURATION_BUCKETS_S, Monitor
from pulse_core.engine.scheduler import Scheduler
from pulse_core.engine.writer import StoreWriter
from pulse_core.events import EventBus, Subscription
from pulse_core.models import Endpoint, StatusChange
from pulse_core.notifier import Notifier
from pulse_core.plugins import PluginHost
from pulse_core.store import Store


class LiveView:
    config: PulseConfig
    plugins: PluginHost
    store: Store
    monitor: Monitor
    scheduler: Scheduler
    writer: StoreWriter
    alerts: AlertEngine
    events: EventBus[StatusChange]
    cluster: Cluster | None
    environ: Mapping[str, str]

    def endpoints(self) -> Sequence[Endpoint]:
        return self.config.endpoints

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        state = self.monitor.states.get(endpoint_id)
        return None if state is None else state.endpoint

    def status(self, endpoint_id: str, now: float) -> EndpointStatus | None:
        state = self.monitor.states.get(endpoint_id)
        return None if state is None else state.status(now)

    def statuses(self, now: float) -> list[EndpointStatus]:
        return [state.status(now) for state in self.monitor.states.values()]

    def scheduler_stats(self) -> SchedulerStats:
        stats = self.scheduler.stats
        return SchedulerStats(stats.started, stats.missed, stats.last_lag_s, stats.max_lag_s)

    def store_stats(self) -> StoreStats:
        writer, health = self.writer, self.writer.health
        return StoreStats(
            writer.pending, writer.dropped, health.failures, health.last_error,
            health.last_failure_ts, health.last_success_ts, health.failing_since_ts,
            writer.oldest_pending_ts,
        )

    def plugin_errors(self) -> Mapping[str, str]:
        return dict(self.plugins.errors)

    def probe_durations(self) -> Mapping[str, DurationHistogram]:
        return {
            type_name: DurationHistogram(DURATION_BUCKETS_S, tuple(kept.counts), kept.sum_s)
            for type_name, kept in self.monitor.durations.items()
        }

    def notifier_health(self) -> Mapping[str, NotifierHealth]:
        return {
            name: NotifierHealth(
                courier.counts.delivered, courier.counts.failed_attempts, courier.counts.dead,
                courier.queued,
            )
            for name, courier in self.alerts.couriers.items()
        }

    def notifiers(self) -> Mapping[str, Notifier]:
        return dict(self.alerts.notifiers)

    async def queue_report(self, notifier: str, report: ReportMessage, cause: str) -> str:
        return await self.alerts.queue_report(notifier, report.variables(), cause)

    async def setting(self, name: str) -> str | None:
        return await self.store.setting(name)

    async def add_setting_if_absent(self, name: str, value: str) -> str:
        return await self.store.add_setting_if_absent(name, value)

    async def holds_job(self, job: str) -> bool:
        return True if self.cluster is None else await self.cluster.holds_job(job)

    def cluster_status(self) -> ClusterStatus:
        if self.cluster is not None:
            return self.cluster.status()
        name, site = node_identity(self.config.cluster, self.environ)
        return ClusterStatus(
            False, name, site, self.config.cluster.default_site, (),
            frozenset(endpoint.id for endpoint in self.config.endpoints), frozenset(),
        )

    def status_changes(self, queue_size: int) -> Subscription[StatusChange]:
        return self.events.subscribe(queue_size)
