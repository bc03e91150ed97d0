"""The public contract of Pulse: everything a plugin may import, and nothing else.

A plugin imports from here (``from pulse_core.contract import Probe, ProbeResult, hookimpl``)
and from the testing kit (``pulse_core.testing``). The rest of ``pulse_core`` is internal and
may change between releases without notice; a test of the project fails when a plugin under
``plugins/`` or ``contrib/`` imports anything else.
"""

from pulse_core import __version__, hookimpl, hookspecs
from pulse_core.contract.access import Role, public, requires
from pulse_core.contract.api_errors import ApiError, bad_request, not_found
from pulse_core.contract.openapi import also_returns, answers, errors, takes_text
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
    "ApiError",
    "Role",
    "also_returns",
    "answers",
    "bad_request",
    "errors",
    "not_found",
    "public",
    "requires",
    "takes_text",
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
