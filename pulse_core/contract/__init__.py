"""The public contract of Pulse: everything a plugin may import, and nothing else.

A plugin imports from here (``from pulse_core.contract import Probe, ProbeResult, hookimpl``)
and from the testing kit (``pulse_core.testing``). The rest of ``pulse_core`` is internal and
may change between releases without notice; a test of the project fails when a plugin under
``plugins/`` or ``contrib/`` imports anything else.
"""

from pulse_core import __version__, hookimpl, hookspecs
from pulse_core.ip_literals import literal_family
from pulse_core.models import (
    CheckResult,
    CheckStatus,
    Endpoint,
    Group,
    LiveStatus,
    ProbeResult,
)
from pulse_core.probe import NoOptions, Probe
from pulse_core.probe_errors import describe_connect_error, describe_lookup_error

__all__ = [
    "CheckResult",
    "CheckStatus",
    "Endpoint",
    "Group",
    "LiveStatus",
    "NoOptions",
    "Probe",
    "ProbeResult",
    "__version__",
    "describe_connect_error",
    "describe_lookup_error",
    "hookimpl",
    "hookspecs",
    "literal_family",
]
