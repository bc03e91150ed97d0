"""The contract between Pulse's core and its plugins.

A plugin is a module or object with functions marked ``@hookimpl`` (``from pulse_core.contract
import hookimpl``) whose names are listed here. It is found through the ``pulse`` entry-point group::

    [project.entry-points.pulse]
    pulse-probe-icmp = "pulse_probe_icmp.plugin"

Two kinds of hooks:

**Registration and checking hooks** (``pulse_register_*``, ``pulse_config_sections``,
``pulse_check_config``) are synchronous and cheap. They run while the application is assembled, before the configuration is read. A
plugin hands classes or objects to the ``register`` callback it is given; the core keeps the
registries and reports duplicates and bad registrations by plugin name.

**Event hooks** (``pulse_startup``, ``pulse_status_changed``, ...) may be ``async def``. The
core calls every implementation concurrently, each under a timeout and with its own error
handling that names the plugin: a slow or broken plugin never delays another or the monitor.
Their return values are ignored.

Load order: the core's built-in plugins are registered first, then entry points in name
order. A probe type, notifier type, store URL scheme, config section, command or webhook
dialect belongs to the first plugin that registers it; another plugin registering the same
key is reported as an error naming both, unless it passes ``override=True`` to ``register``
to replace it on purpose.
``tryfirst``, ``trylast`` and wrappers are refused at load: event hooks run concurrently and
registration hooks in load order, so those options would be silently ignored.
``PULSE_PLUGINS`` (a comma-separated allow-list of entry-point names) and
``PULSE_DISABLE_PLUGINS`` (a deny-list, which also applies to built-ins) restrict loading.

Life cycle of a ``pulse run``::

    load plugins ─> pulse_register_* / pulse_config_sections ─> read YAML ─> pulse_check_config
      ─> store.open ─> pulse_startup ─> probes start ─> pulse_config_applied ─> web server up
      ─> [checks ... pulse_checks_stored, pulse_status_changed ...] ─> SIGTERM
      ─> web server down ─> probes close ─> pending writes flushed ─> pulse_shutdown ─> store.close
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Callable, Sequence

import pluggy

if TYPE_CHECKING:
    from pydantic import BaseModel
    from quart import Blueprint

    from pulse_core.config.model import PulseConfig
    from pulse_core.contract.view import PulseView
    from pulse_core.contract.webhooks import WebhookDialect
    from pulse_core.models import CheckResult, Endpoint, StatusChange
    from pulse_core.notifier import Notifier
    from pulse_core.probe import Probe
    from pulse_core.store import Store

hookspec = pluggy.HookspecMarker("pulse")


@hookspec
def pulse_register_probes(register: Callable[[type[Probe]], None]) -> None:
    """Register probe classes, one per target ``type``.

    Call ``register(MyProbe)`` for each :class:`pulse_core.contract.Probe` subclass. The class
    names the ``type:`` it checks and the target keys it owns; the core builds one instance of
    it when monitoring starts and calls ``check`` on it directly for every check.

    Example::

        @hookimpl
        def pulse_register_probes(register):
            register(TcpProbe)
    """


@hookspec
def pulse_register_stores(register: Callable[[type[Store]], None]) -> None:
    """Register store classes, chosen by the scheme of ``storage.url``.

    Call ``register(MyStore)`` for each :class:`pulse_core.contract.Store` subclass; its
    ``url_schemes`` say which URLs it serves (``("sqlite", "postgresql")``).
    """


@hookspec
def pulse_register_notifiers(register: Callable[[type[Notifier]], None]) -> None:
    """Register notifier classes, one per kind of receiver.

    Call ``register(SlackNotifier)`` for each :class:`pulse_core.contract.Notifier` subclass;
    its ``type_name`` is the key that selects it in a ``notifiers[]`` entry of the YAML
    (``slack: {webhookUrl: ...}``) and its ``options_model`` validates that block. The core
    builds one instance per configured entry and calls ``deliver`` for each notification.
    """


@hookspec
def pulse_register_webhook_dialects(register: Callable[[WebhookDialect], None]) -> None:
    """Register dialects of the ``webhook`` notifier, one per kind of receiver that keeps records.

    Runs with the other registrations, before any configuration is read. Call
    ``register(MyDialect())`` with a :class:`pulse_core.contract.WebhookDialect` instance: its
    ``name`` is what ``dialect:`` in a ``webhook:`` block selects, ``matches(url)`` says
    whether ``dialect: auto`` picks it for a URL, its ``options_model`` (if any) validates its
    own keys of the block, ``async send(notifier, notification, body) -> Receipt`` delivers one
    notification through the webhook notifier's guarded ``request`` (a
    :class:`pulse_core.contract.WebhookSender`), and ``error_message(document)`` reads the
    receiver's JSON error replies. Two plugins registering one name is an error naming both.

    Example::

        @hookimpl
        def pulse_register_webhook_dialects(register):
            register(ServiceNowDialect())
    """


@hookspec
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    """Register Quart blueprints served by the web server.

    Call ``register(blueprint)``; routes are mounted as the blueprint declares them (use a
    ``url_prefix`` such as ``/api/metrics``). Inside a request,
    :func:`pulse_core.contract.current_pulse` is the running Pulse, a
    :class:`pulse_core.contract.PulseView`.
    """


@hookspec
def pulse_config_sections(register: Callable[[str, type[BaseModel]], None]) -> None:
    """Claim top-level sections of the YAML configuration.

    Call ``register("metrics", MetricsSection)`` with a pydantic model; the section is
    validated with it (errors are reported with their YAML line and column) and the instance
    is found in ``config.sections["metrics"]``. A top-level key nobody claims is an error.
    """


@hookspec
def pulse_register_commands(
    register: Callable[
        [str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]],
        None,
    ],
) -> None:
    """Add subcommands to the ``pulse`` command line.

    Runs each time ``pulse`` starts, before its arguments are parsed, so keep it cheap: import
    what the command needs inside ``run``. Call ``register(name, help, add_arguments, run)``:
    ``name`` is the subcommand (``pulse report ...``), ``help`` its line in ``pulse --help``,
    ``add_arguments(parser)`` adds its options (or subcommands) to the
    ``argparse.ArgumentParser`` made for it, and ``run(args)`` is called with the parsed
    ``argparse.Namespace`` and returns the exit status. ``args.pulse`` is Pulse as installed,
    a :class:`pulse_core.contract.InstalledPulse`: the command reads the configuration, opens
    its store and sends through its notifiers with it. Plugins' commands come after the
    built-in ones and may not take a built-in name (``run``, ``check`` ...). A ``--config``
    option is resolved as the built-in commands' is (``$PULSE_CONFIG``, then the data directory).

    Example::

        @hookimpl
        def pulse_register_commands(register):
            register("report", "make a configured report now", add_arguments, run)
    """


@hookspec
def pulse_check_config(
    config: PulseConfig, report: Callable[[tuple[str | int, ...], str], None]
) -> None:
    """Check what spans sections of a configuration that loaded without errors.

    Each section is validated on its own by its model; here a plugin checks references
    between them (an ``alerts`` rule naming a notifier, a window naming a group) and calls
    ``report(("alerts", 0, "notify", 1), "no notifier is called 'pager'")`` for each problem.
    Issues are reported with the YAML line and column of their path, together with the
    others, by ``pulse check``, at start-up and when a configuration is applied.
    """


@hookspec
async def pulse_startup(app: PulseView) -> None:
    """Monitoring is about to start: the configuration is loaded and the store is open.

    ``app`` is the running Pulse as a :class:`pulse_core.contract.PulseView`, in this hook
    and every event hook below. May be ``async def``. Start background work here; stop it
    in :func:`pulse_shutdown`.
    """


@hookspec
async def pulse_shutdown(app: PulseView) -> None:
    """Monitoring has stopped and pending writes are flushed; the store is still open.

    May be ``async def``.
    """


@hookspec
async def pulse_config_applied(app: PulseView, config: PulseConfig) -> None:
    """A configuration took effect (at start-up and after every change through the API).

    May be ``async def``.
    """


@hookspec
async def pulse_status_changed(
    app: PulseView, change: StatusChange, endpoint: Endpoint
) -> None:
    """An endpoint's damped state changed (``change.previous`` is ``unknown`` for the first
    state reached after start-up).

    May be ``async def``. Called once per change this node stored, after it is stored, in a
    task per written batch (a batch's changes in order). In a cluster each node announces the
    changes it stored itself.
    """


@hookspec
async def pulse_checks_stored(app: PulseView, checks: Sequence[CheckResult]) -> None:
    """A batch of checks was written to the store (every check, up or down, in batches of up
    to a few thousand, about twice a second while checks run).

    May be ``async def``. Called once per written batch, in a task of its own so the writer
    never waits. It is the feed of every check for plugins that forward raw results (the
    Splunk notifier's ``mode: checks``); keep the work per check tiny: queue the checks and
    send them from a task of your own. A check's endpoint is ``app.endpoint(check.endpoint_id)``
    (``None`` once a reconfiguration removed it), its live state ``app.status(id, now)``.
    """


def hook_names() -> list[str]:
    """Every hook of the contract, for documentation and tests."""
    return sorted(name for name in globals() if name.startswith("pulse_"))


def hook_doc(name: str) -> str:
    """The docstring of hook ``name``."""
    function: Any = globals()[name]
    return function.__doc__ or ""
