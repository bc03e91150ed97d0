"""One scrape: read on the event loop, format in a worker thread, in the format asked for.

Text format 0.0.4 unless the ``Accept`` header asks for OpenMetrics (Prometheus itself does);
prometheus_client's negotiation decides, so its answer and its content type stay in step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from pulse_core.contract import EndpointStatus, PulseView
from pulse_exporter_prometheus.collector import PulseCollector
from pulse_exporter_prometheus.endpoint_families import write_endpoint_families
from pulse_exporter_prometheus.readings import read_endpoints

OPENMETRICS_TYPE = "application/openmetrics-text"


@dataclass(frozen=True)
class ExpositionFormat:
    content_type: str
    encode: Callable[[Collector], bytes]

    @property
    def openmetrics(self) -> bool:
        return self.content_type.startswith(OPENMETRICS_TYPE)


def negotiate(accept: str) -> ExpositionFormat:
    encode, content_type = choose_encoder(accept)
    return ExpositionFormat(content_type, encode)


class _Collected(Collector):
    """Families already collected, handed to prometheus_client's encoders."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


@dataclass(frozen=True)
class Scrape:
    endpoints: list[EndpointStatus]
    families: _Collected
    #: the ``node`` label of the endpoint families: this node's name in a cluster, else None
    node: str | None

    @classmethod
    def take(cls, pulse: PulseView, now: float) -> Scrape:
        """Copy every value a scrape shows; cheap, and must run on the event loop."""
        cluster = pulse.cluster_status()
        endpoints = read_endpoints(pulse, now, cluster)
        node = cluster.node if cluster.clustered else None
        return cls(endpoints, _Collected(PulseCollector(pulse).collect()), node)

    def render(self, exposition_format: ExpositionFormat) -> bytes:
        """The whole document; safe in a worker thread. prometheus_client's part comes last,
        since in OpenMetrics it ends with the closing ``# EOF``."""
        endpoint_part = write_endpoint_families(
            self.endpoints, exposition_format.openmetrics, self.node
        )
        return endpoint_part.encode() + exposition_format.encode(self.families)
