"""The public contract of Pulse: everything a plugin may import, and nothing else.

A plugin imports from here (``from pulse_core.contract import Probe, ProbeResult, hookimpl``)
and from the testing kit (``pulse_core.testing``). The rest of ``pulse_core`` is internal and
may change between releases without notice; a test of the project fails when a plugin under
``plugins/`` or ``contrib/`` imports anything else, or when this package comes to depend on
the engine, alerting, the web server or the application object. ``docs/plugins.md`` lists
every name.
"""

from pulse_core import __version__, hookimpl, hookspecs
from pulse_core.accounts import ApiKey, User, UsernameTaken, UserSession
from pulse_core.config.limits import (
    HeaderValue,
    Host,
    Key,
    MatchText,
    Name,
    Notes,
    RequiredHeaderValue,
    RequiredName,
    UrlPath,
)
from pulse_core.config.model import PulseConfig, Section
from pulse_core.config.tls import read_small_file
from pulse_core.contract.access import Role, public, requires
from pulse_core.contract.api_errors import ApiError, bad_request, not_found
from pulse_core.contract.cluster import ClusterStatus
from pulse_core.contract.durations import Duration
from pulse_core.contract.excerpts import ERROR_EXCERPT_CHARS, excerpt
from pulse_core.contract.expectations import bounds_problem
from pulse_core.contract.http import HttpNotifier
from pulse_core.contract.installed import InstalledPulse
from pulse_core.contract.openapi import also_returns, answers, errors, takes_text
from pulse_core.contract.outbound import OutboundPolicy, OutboundRefused
from pulse_core.contract.reports import MAX_ATTACHMENT_BYTES, AttachmentTooLarge, ReportMessage
from pulse_core.contract.templates import Template, TemplateText, TemplateTree, render_tree
from pulse_core.contract.timestamps import iso_timestamp
from pulse_core.contract.trust import NotifierCaFile, certificate_refusal
from pulse_core.contract.view import (
    DurationHistogram,
    EndpointStatus,
    NotifierHealth,
    PulseView,
    SchedulerStats,
    StoreStats,
    current_pulse,
)
from pulse_core.contract.webhooks import (
    DIALECTS_CONTEXT,
    WebhookDialect,
    WebhookSender,
    installed_dialects,
)
from pulse_core.coordination import (
    Coordination,
    Fenced,
    LeaseLost,
    Listener,
    NodeNameTaken,
    NodeRecord,
    NodeStats,
    NodeSupport,
    StoreInUse,
)
from pulse_core.events import SubscriberDropped, Subscription
from pulse_core.id_index import IdIndex
from pulse_core.ip_literals import literal_family
from pulse_core.models import (
    STATUS_WORDS,
    CheckResult,
    CheckStatus,
    ConfigVersion,
    ConfigVersionInfo,
    Endpoint,
    EndpointSnapshot,
    Group,
    LiveStatus,
    Outage,
    ProbeResult,
    Resolution,
    Rollup,
    State,
    StatusChange,
)
from pulse_core.notifier import DeliveryError, Notification, Notifier, Receipt
from pulse_core.lazy_probe import LazyProbe, ProbeChecks
from pulse_core.outbox import OutboxHealth, OutboxMessage, OutboxState
from pulse_core.probe import NoOptions, Probe, ReportResult, report_all
from pulse_core.probe_errors import describe_connect_error, describe_lookup_error
from pulse_core.store import (
    PAGE_ROWS,
    Accounts,
    ConfigVersions,
    History,
    HistoryStore,
    Outbox,
    PageSource,
    Store,
    StoreUnavailable,
    Upkeep,
)

__all__ = [
    "STATUS_WORDS",
    "DIALECTS_CONTEXT",
    "ERROR_EXCERPT_CHARS",
    "MAX_ATTACHMENT_BYTES",
    "PAGE_ROWS",
    "Accounts",
    "ApiError",
    "AttachmentTooLarge",
    "ApiKey",
    "CheckResult",
    "CheckStatus",
    "ClusterStatus",
    "ConfigVersion",
    "ConfigVersionInfo",
    "ConfigVersions",
    "Coordination",
    "DeliveryError",
    "Duration",
    "DurationHistogram",
    "Endpoint",
    "EndpointSnapshot",
    "EndpointStatus",
    "Fenced",
    "Group",
    "HeaderValue",
    "History",
    "HistoryStore",
    "Host",
    "HttpNotifier",
    "IdIndex",
    "InstalledPulse",
    "Key",
    "LazyProbe",
    "LeaseLost",
    "Listener",
    "LiveStatus",
    "MatchText",
    "Name",
    "NoOptions",
    "NodeNameTaken",
    "NodeRecord",
    "NodeStats",
    "NodeSupport",
    "Notes",
    "Notification",
    "Notifier",
    "NotifierCaFile",
    "NotifierHealth",
    "Outage",
    "OutboundPolicy",
    "OutboundRefused",
    "Outbox",
    "OutboxHealth",
    "OutboxMessage",
    "OutboxState",
    "PageSource",
    "Probe",
    "ProbeChecks",
    "ProbeResult",
    "PulseConfig",
    "PulseView",
    "Receipt",
    "ReportMessage",
    "ReportResult",
    "RequiredHeaderValue",
    "RequiredName",
    "Resolution",
    "Role",
    "Rollup",
    "SchedulerStats",
    "Section",
    "State",
    "StatusChange",
    "Store",
    "StoreInUse",
    "StoreStats",
    "StoreUnavailable",
    "SubscriberDropped",
    "Subscription",
    "Template",
    "TemplateText",
    "TemplateTree",
    "Upkeep",
    "UrlPath",
    "User",
    "UserSession",
    "UsernameTaken",
    "WebhookDialect",
    "WebhookSender",
    "__version__",
    "also_returns",
    "answers",
    "bad_request",
    "bounds_problem",
    "certificate_refusal",
    "current_pulse",
    "describe_connect_error",
    "describe_lookup_error",
    "errors",
    "excerpt",
    "hookimpl",
    "hookspecs",
    "installed_dialects",
    "iso_timestamp",
    "literal_family",
    "not_found",
    "public",
    "read_small_file",
    "render_tree",
    "report_all",
    "requires",
    "takes_text",
]
