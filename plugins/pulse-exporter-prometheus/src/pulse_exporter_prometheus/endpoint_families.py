"""The per-endpoint families, written straight to text.

These are the contract of docs/integrations.md (names, HELP texts, labels) plus two of
Pulse's own. With 10,000 endpoints they hold some 50,000 samples; building them as
prometheus_client metric objects and rendering those takes about ten times longer than
formatting the lines here (see ``bench/metrics_render.py``), so this module writes them
itself, in both formats, with the same escaping rules. Everything else goes through prometheus_client (``collector.py``).

Labels: ``endpoint`` (the name) and ``group`` (the group id), plus ``id``, the endpoint's
stable id, so two endpoints sharing a name never produce duplicate series. A cluster node adds
``node``, its name, to every family here: an endpoint's series move to another node when
its owner changes, and the label says which node probed it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pulse_core.contract import EndpointStatus, LiveStatus
from pulse_exporter_prometheus.readings import LABEL_WORDS

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n"})


def escape_label_value(value: str) -> str:
    return value.translate(_ESCAPES)


def _header(name: str, kind: str, help_text: str, openmetrics: bool) -> str:
    """HELP and TYPE lines. A counter family is named without ``_total`` in OpenMetrics,
    with it in the text format (the samples carry ``_total`` in both)."""
    if openmetrics and kind == "counter":
        name = name.removesuffix("_total")
    return f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n"


def write_endpoint_families(
    readings: Sequence[EndpointStatus], openmetrics: bool, node: str | None = None
) -> str:
    """``node``: the cluster node's name, for a ``node`` label on every sample; ``None`` on
    a single node."""
    ids = [
        (
            escape_label_value(r.endpoint.name),
            escape_label_value(r.endpoint.group_id),
            escape_label_value(r.endpoint.id),
        )
        for r in readings
    ]
    on_node = "" if node is None else f',node="{escape_label_value(node)}"'
    with_group = [
        f'endpoint="{name}",group="{group}",id="{id_}"{on_node}' for name, group, id_ in ids
    ]
    without_group = [f'endpoint="{name}",id="{id_}"{on_node}' for name, _, id_ in ids]
    by_status = Counter(r.live_status for r in readings)
    lines = [
        _header(
            "pulse_endpoint_status", "gauge",
            "Current status of monitoring endpoints (1=online, 0=offline)", openmetrics,
        ),
        *(
            f"pulse_endpoint_status{{{labels}}} {int(r.live_status is LiveStatus.UP)}\n"
            for labels, r in zip(with_group, readings)
        ),
        _header("pulse_endpoint_response_time", "gauge", "Response time in milliseconds", openmetrics),
        *(
            f"pulse_endpoint_response_time{{{labels}}} {r.last_rtt_ms or 0.0!r}\n"
            for labels, r in zip(with_group, readings)
        ),
        _header(
            "pulse_endpoint_flapping", "gauge",
            "1 while an endpoint is flapping (more than 3 status changes in 5 minutes; "
            "its pulse_endpoint_status is then 0)", openmetrics,
        ),
        *(
            f"pulse_endpoint_flapping{{{labels}}} {int(r.live_status is LiveStatus.FLAPPING)}\n"
            for labels, r in zip(with_group, readings)
        ),
        _header(
            "pulse_endpoint_unreachable", "gauge",
            "1 while an endpoint is unreachable behind an offline parent (depends_on; its "
            "pulse_endpoint_status is then 0)", openmetrics,
        ),
        *(
            f"pulse_endpoint_unreachable{{{labels}}} "
            f"{int(r.live_status is LiveStatus.UNREACHABLE)}\n"
            for labels, r in zip(with_group, readings)
        ),
        _header(
            "pulse_checks_total", "counter", "Total number of monitoring checks performed",
            openmetrics,
        ),
        *(
            f'pulse_checks_total{{{labels},status="success"}} {r.checks_up}\n'
            f'pulse_checks_total{{{labels},status="failure"}} {r.checks_down}\n'
            for labels, r in zip(without_group, readings)
        ),
        _header("pulse_endpoints", "gauge", "Monitored endpoints by live status", openmetrics),
        *(
            f'pulse_endpoints{{status="{word}"{on_node}}} {by_status[status]}\n'
            for status, word in LABEL_WORDS.items()
        ),
    ]
    return "".join(lines)
