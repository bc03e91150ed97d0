"""Pulse watching itself: a prometheus_client collector over the running Pulse's view.

Each source below reads one part of the view and yields metric families; the collector
chains them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from pulse_core.contract import PulseView

Source = Callable[[PulseView], Iterable[Metric]]


def system_metrics(pulse: PulseView) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "pulse_system_uptime", "System uptime in seconds", value=time.time() - pulse.started_ts
    )


def scheduler_metrics(pulse: PulseView) -> Iterator[Metric]:
    stats = pulse.scheduler_stats()
    yield GaugeMetricFamily(
        "pulse_scheduler_lag_seconds",
        "How late the most recently started check began, against its schedule",
        value=stats.last_lag_s,
    )
    yield GaugeMetricFamily(
        "pulse_scheduler_lag_max_seconds",
        "The largest scheduling lag since start-up",
        value=stats.max_lag_s,
    )
    yield CounterMetricFamily(
        "pulse_scheduler_checks_started",
        "Checks started by the scheduler (rate() gives checks per second)",
        value=stats.started,
    )
    yield CounterMetricFamily(
        "pulse_scheduler_missed_runs",
        "Scheduled checks skipped because the previous check of the endpoint outlasted "
        "its interval",
        value=stats.missed,
    )


def store_metrics(pulse: PulseView) -> Iterator[Metric]:
    stats = pulse.store_stats()
    yield GaugeMetricFamily(
        "pulse_store_queue_depth",
        "Checks waiting in memory to be written to the store",
        value=stats.pending,
    )
    yield CounterMetricFamily(
        "pulse_store_dropped_checks",
        "Checks dropped because the store fell so far behind that the queue was full",
        value=stats.dropped,
    )
    yield CounterMetricFamily(
        "pulse_store_write_failures",
        "Failed store writes (each is retried; nothing is lost until checks are dropped)",
        value=stats.write_failures,
    )
    oldest = stats.oldest_pending_ts
    yield GaugeMetricFamily(
        "pulse_store_write_backlog_age_seconds",
        "Age of the oldest check waiting to be written (0 when none waits): growing while "
        "writes fail",
        value=0.0 if oldest is None else max(0.0, time.time() - oldest),
    )
    yield GaugeMetricFamily(
        "pulse_store_write_failing",
        "1 while the latest attempt to write to the store failed, else 0",
        value=int(stats.failing),
    )
    yield GaugeMetricFamily(
        "pulse_store_last_write_success_timestamp_seconds",
        "When a write to the store last succeeded (Unix time; 0 before the first)",
        value=stats.last_success_ts or 0.0,
    )


def plugin_metrics(pulse: PulseView) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "pulse_plugin_load_errors",
        "Plugins that failed to load or register (`pulse plugins` names them)",
        value=len(pulse.plugin_errors()),
    )


def probe_duration_metrics(pulse: PulseView) -> Iterator[Metric]:
    family = HistogramMetricFamily(
        "pulse_probe_duration_seconds",
        "Time to check an endpoint, retries included, by probe type",
        labels=["type"],
    )
    for type_name, histogram in sorted(pulse.probe_durations().items()):
        bounds = [*(repr(float(bound)) for bound in histogram.bounds_s), "+Inf"]
        cumulative = list(accumulate(histogram.counts))
        family.add_metric(
            [type_name], buckets=list(zip(bounds, cumulative)), sum_value=histogram.sum_s
        )
    yield family


def notifier_metrics(pulse: PulseView) -> Iterator[Metric]:
    outcomes = CounterMetricFamily(
        "pulse_notifications",
        "Notification deliveries by notifier and outcome: delivered, failed_attempt (retried "
        "unless permanent), dead (given up; in the dead-letter list)",
        labels=["notifier", "outcome"],
    )
    pending = GaugeMetricFamily(
        "pulse_notifications_pending",
        "Notifications waiting in the outbox to be delivered, by notifier",
        labels=["notifier"],
    )
    for name, health in sorted(pulse.notifier_health().items()):
        outcomes.add_metric([name, "delivered"], health.delivered)
        outcomes.add_metric([name, "failed_attempt"], health.failed_attempts)
        outcomes.add_metric([name, "dead"], health.dead)
        pending.add_metric([name], health.pending)
    yield outcomes
    yield pending


def cluster_metrics(pulse: PulseView) -> Iterator[Metric]:
    """The members as this node saw them at its latest heartbeat: any node of a cluster can
    alert on a member that stopped renewing its lease."""
    cluster = pulse.cluster_status()
    live = sum(record.alive for record in cluster.nodes) if cluster.clustered else 1
    yield GaugeMetricFamily(
        "pulse_cluster_nodes", "Live nodes of the cluster (1 on a single node)", value=live
    )
    if not cluster.clustered:
        return
    ages = GaugeMetricFamily(
        "pulse_cluster_node_heartbeat_age_seconds",
        "Seconds since each member's latest heartbeat, by the database's clock (dead members "
        "included until they join again or leave)",
        labels=["node", "site"],
    )
    for record in cluster.nodes:
        ages.add_metric([record.name, record.site], record.lease_age_s)
    yield ages


SOURCES: tuple[Source, ...] = (
    system_metrics,
    scheduler_metrics,
    store_metrics,
    plugin_metrics,
    probe_duration_metrics,
    notifier_metrics,
    cluster_metrics,
)


class PulseCollector:
    """A prometheus_client collector (register it in any ``CollectorRegistry``) of Pulse's
    own metrics; the per-endpoint families are written by ``endpoint_families``."""

    def __init__(self, pulse: PulseView) -> None:
        self._pulse = pulse

    def collect(self) -> Iterator[Metric]:
        for source in SOURCES:
            yield from source(self._pulse)
