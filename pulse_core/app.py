"""The Pulse application: one configuration, its plugins, store, probes and monitor.

``Pulse`` owns the order in which things start and stop (see the life cycle in
:mod:`pulse_core.hookspecs`) so that on a clean stop every check taken is written and every
plugin hears ``pulse_shutdown`` while the store is still open.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Callable, Mapping, Sequence

from pulse_core.alerting.engine import AlertEngine
from pulse_core.alerting.plugin import PLUGIN_NAME, AlertingPlugin
from pulse_core.cluster.joining import join_cluster
from pulse_core.cluster.runtime import Cluster
from pulse_core.config import load_config, read_config_text
from pulse_core.config.model import PulseConfig
from pulse_core.engine.maintenance import run_maintenance
from pulse_core.engine.monitor import Monitor
from pulse_core.engine.probing import InProcess, Probing
from pulse_core.engine.reconfigure import ApplyResult, ConfigChanger
from pulse_core.engine.workers.pool import ProbeWorkers, probe_workers_wanted
from pulse_core.engine.scheduler import Scheduler
from pulse_core.engine.writer import StoreWriter
from pulse_core.events import EventBus
from pulse_core.live_view import LiveView
from pulse_core.models import ConfigVersionInfo, Endpoint, EndpointSnapshot, State, StatusChange
from pulse_core.plugins import PluginHost
from pulse_core.probe import Probe
from pulse_core.store import Store
from pulse_core.stored import StoredBatch, StoredStream
from pulse_core.web import health
from pulse_core.web.auth import plugin as accounts
from pulse_core.web.api import (
    cluster,
    configuration,
    endpoint_writes,
    endpoints,
    export,
    groups,
    history,
    push,
    status,
    topology,
)

log = logging.getLogger("pulse")

BUILTIN_PLUGINS = (
    health, status, endpoints, history, groups, export, push, accounts,
    configuration, endpoint_writes, cluster, topology,
)


class StoreNotFound(Exception):
    """No installed store plugin serves the configured URL."""


def load_plugins(environ: Mapping[str, str] | None = None) -> PluginHost:
    """The built-in plugins, then every installed one allowed by the environment."""
    host = PluginHost(environ)
    host.load(BUILTIN_PLUGINS, entry_points=False)
    # Alerting validates ``notifiers`` against this host's notifier types and webhook dialects
    # (see its module).
    alerting = AlertingPlugin(
        lambda: host.registries.notifiers, lambda: host.registries.webhook_dialects
    )
    host.register(alerting, name=PLUGIN_NAME)
    host.load()
    return host


def open_config(path: Path, plugins: PluginHost) -> PulseConfig:
    """The configuration file at ``path``, checked against the installed plugins."""
    path = Path(path)  # a str from a caller that did not convert it still names the file
    return _load(read_config_text(path), path, plugins)


def _load(text: str, path: Path, plugins: PluginHost) -> PulseConfig:
    registries = plugins.registries
    return load_config(
        text, probes=registries.probes, sections=registries.config_sections,
        source_path=path, cross_checks=plugins.check_config,
    )


def build_store(url: str, plugins: PluginHost) -> Store:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    store_class = plugins.registries.stores.get(scheme)
    if store_class is None:
        known = ", ".join(sorted(plugins.registries.stores)) or "none"
        raise StoreNotFound(
            f"storage.url {scheme}://...: no installed store plugin serves '{scheme}' "
            f"(installed schemes: {known}); install pulse-store-sql"
        )
    return store_class(url)


class Pulse(LiveView):
    """A running monitor. Build it with :meth:`create`, then ``await start()`` / ``stop()``;
    other modules never name this class, they get a running one from :func:`started`.

    Hooks and routes are handed it typed as :class:`pulse_core.contract.PulseView`, whose
    members it inherits from :class:`pulse_core.live_view.LiveView`."""

    def __init__(
        self, config: PulseConfig, plugins: PluginHost, store: Store, config_text: str
    ) -> None:
        """``config_text`` is the text ``config`` was loaded from, kept until :meth:`start`
        has stored it as a configuration version."""
        self.config = config
        #: the stored configuration version that is running; known once started
        self.config_version_id: int | None = None
        self._unstored_text: str | None = config_text
        self.plugins = plugins
        self.store = store
        self.started_ts = time.time()
        #: set when Pulse is asked to stop, before the web server closes: live streams
        #: (WebSocket, SSE) watch it to say goodbye to their clients and end
        self.stopping = asyncio.Event()
        self.probes: dict[str, Probe] = {}
        #: where the probes run: in this process unless ``PULSE_PROBE_WORKERS`` asks for
        #: worker processes (set up by :meth:`start`)
        self.probing: Probing = InProcess(plugins.registries.probes)
        #: every stored status change, this node's and the cluster's, for live clients
        #: (WebSocket, SSE)
        self.events: EventBus[StatusChange] = EventBus()
        #: the one way out of the store: every batch stored, to its subscribers (see
        #: :mod:`pulse_core.stored`; the cluster subscribes once joined)
        self.stream = StoredStream(self.endpoint)
        self.writer = StoreWriter(store, self.stream.written)
        self.monitor = Monitor(self.probes, self.writer)
        self.scheduler = Scheduler(self.monitor.run_check, batches=self.monitor)
        self.alerts = AlertEngine(store, plugins.registries.notifiers)
        self.stream.subscribe(self._push)
        self.stream.subscribe_in_tasks(self.alerts.stored, in_order=True)
        self.stream.subscribe_in_tasks(self._announce, in_order=False)
        self.config_changes = ConfigChanger(self)
        #: this node's part in a cluster; ``None`` on a store that serves one node
        self.cluster: Cluster | None = None
        #: where the node's name and site are read from (``pulse_core.cluster.joining``)
        self.environ: Mapping[str, str] = os.environ
        self._writing: asyncio.Task[None] | None = None
        self._upkeep: asyncio.Task[None] | None = None
        self._scheduling: asyncio.Task[None] | None = None

    @classmethod
    def create(
        cls,
        config_path: Path,
        environ: Mapping[str, str] | None = None,
        plugins: PluginHost | None = None,
    ) -> Pulse:
        """A Pulse for the file at ``config_path``, with ``plugins`` when the caller has
        loaded them already (the command line), else those ``environ`` allows."""
        plugins = plugins or load_plugins(environ)
        config_path = Path(config_path)
        text = read_config_text(config_path)
        config = _load(text, config_path, plugins)
        pulse = cls(config, plugins, build_store(_storage_url(config), plugins), text)
        if environ is not None:
            pulse.environ = environ
        return pulse

    async def start(self) -> None:
        """Open the store (and join the cluster), start writing, tell the plugins, then run
        the configuration through the sequence every later change takes too
        (:meth:`ConfigChanger.take`); checks begin once it is done. Probe workers, when
        asked for, are started first: they get ready while the store opens."""
        workers = probe_workers_wanted(self.environ)
        if workers:
            self.probing = ProbeWorkers(workers, self.plugins.registries.probes, self.environ)
            await self.probing.start()
            log.info("probing in %d worker processes", workers)
        await self.store.open()
        self.cluster = await join_cluster(self, self.store, self.config, self.environ)
        await self._record_config_version()
        await self.store.sync_catalog(self.config.groups, self.config.endpoints)
        cluster = self.cluster
        if cluster is not None:
            self.alerts.owns = self.monitor.owns = cluster.owns
            self.alerts.may_send = cluster.membership.holds_lease
            self.stream.subscribe(cluster.stored)
        self._writing = asyncio.create_task(self.writer.run(), name="pulse-writer")
        self._upkeep = asyncio.create_task(
            run_maintenance(
                self.store, self.config.storage.retention_days,
                may_run=None if cluster is None else cluster.may_maintain,
            ),
            name="pulse-maintenance",
        )
        await self.plugins.notify("pulse_startup", app=self)
        assert self.config_version_id is not None, "recorded above"
        for warning in await self.config_changes.take(
            self.config, self.config_version_id, remembered=await self.store.load_snapshots()
        ):
            log.warning("%s", warning)
        self._scheduling = asyncio.create_task(self.scheduler.run(), name="pulse-scheduler")
        log.info(
            "monitoring %d endpoints in %d groups",
            sum(ep.enabled for ep in self.config.endpoints), len(self.config.groups),
        )

    def begin(self, remembered: Mapping[str, EndpointSnapshot]) -> None:
        """Resume the states the store remembers and lay out the first schedule. A cluster
        node does neither for the endpoints it will own: it takes them over, gaps included,
        once the others have seen it join (:mod:`pulse_core.cluster.takeover`)."""
        cluster = self.cluster
        self.monitor.restore(remembered, time.time(), record_gaps=cluster is None)
        if cluster is None:
            self.scheduler.schedule(self.config.endpoints)
        else:
            cluster.start()

    async def _record_config_version(self) -> None:
        """Store the text Pulse was started with as a version (unless the latest is that
        text already), then let it go: the store answers for it from now on, and held for
        the life of the process it cost 56 bytes per endpoint (1.1 MB at 20,000 targets)."""
        text, self._unstored_text = self._unstored_text, None
        if text is None:
            raise RuntimeError("Pulse.start() runs once")
        digest = self.config.source_sha256
        versions = await self.store.config_versions(limit=1)
        if versions and versions[0].sha256 == digest:
            self.config_version_id = versions[0].id
            return
        if self.cluster is not None and versions:
            await self._run_cluster_version(versions[0])
            return
        source = str(self.config.source_path) if self.config.source_path else None
        version = await self.store.add_config_version(
            text, digest, time.time(), "pulse run", source
        )
        self.config_version_id = version.id

    async def _run_cluster_version(self, current: ConfigVersionInfo) -> None:
        """A node joining a running cluster runs the cluster's configuration, not a file
        that differs from it (and says so): one cluster, one configuration."""
        version = await self.store.config_version(current.id)
        assert version is not None, "a listed version is stored"
        config = _load(version.yaml_text, self.config.source_path or Path("<config>"), self.plugins)
        log.warning(
            "%s differs from the cluster's current configuration (version %d, applied by %s): "
            "this node runs version %d; to run the file instead, apply it to the cluster "
            "(PUT /api/configuration on any node)",
            self.config.source_path or "the configuration file", current.id,
            current.actor or "an unnamed caller", current.id,
        )
        self.config, self.config_version_id = config, current.id

    def probed(self, endpoints: Sequence[Endpoint]) -> Sequence[Endpoint]:
        return endpoints if self.cluster is None else self.cluster.probed(endpoints)

    def share(self, config: PulseConfig) -> Sequence[Endpoint]:
        return config.endpoints if self.cluster is None else self.cluster.share(config.endpoints)

    async def announce_config(self, version_id: int) -> None:
        if self.cluster is not None:
            await self.cluster.announce_config(version_id)

    async def follow_config(self, version_id: int) -> None:
        """Run the configuration version another node of the cluster applied."""
        await self.config_changes.follow(version_id)

    async def config_text(self) -> str:
        """The running configuration's YAML text, byte for byte as applied (``${VAR}``
        references unresolved, comments kept), read from the store's versions."""
        if self.config_version_id is None:
            raise RuntimeError("Pulse is not started: no configuration version is running")
        version = await self.store.config_version(self.config_version_id)
        if version is None:
            raise LookupError(
                f"configuration version {self.config_version_id} is running but not stored"
            )
        return version.yaml_text

    async def apply_config(
        self, yaml_text: str, actor: str | None = None, note: str | None = None,
        dry_run: bool = False,
    ) -> ApplyResult:
        """Make ``yaml_text`` the running configuration; see :mod:`pulse_core.engine.reconfigure`."""
        return await self.config_changes.apply(yaml_text, actor, note, dry_run)

    async def stop(self) -> None:
        """Stop checking, flush every pending write, tell the plugins, close the store."""
        self.stopping.set()
        if self.cluster is not None:
            self.cluster.stop_probing()
        await _cancel(self._scheduling, self._upkeep)
        for probe in self.probes.values():
            try:
                await probe.close()
            except Exception:
                log.exception("closing the %s probe failed", probe.type_name)
        await self.config_changes.close()
        await self.probing.close()
        self.writer.close()
        if self._writing is not None:
            await _join(self._writing)
        await self.stream.drain()  # every stored batch dealt with, hooks and alerting too
        await self.plugins.notify("pulse_shutdown", app=self)
        await self.alerts.stop()
        if self.cluster is not None:
            await self.cluster.leave()
            await self.stream.drain()  # what was heard from the others until it left
        await self.store.close()

    def _push(self, batch: StoredBatch) -> None:
        """Every stored change, local or remote, to the live clients."""
        for change, _ in batch.changes:
            self.events.publish(change)

    async def _announce(self, batch: StoredBatch) -> None:
        """Tell the plugins what this node stored: ``pulse_checks_stored`` for the batch's
        checks beside ``pulse_status_changed`` for each of its changes, in order (one task
        per batch, where a task per change made 20,000 at start-up, when every first state
        arrives). What other nodes stored they hear from those nodes."""
        if batch.remote:
            return
        for line in change_lines(batch.changes):
            log.info("%s", line)
        await asyncio.gather(self._checks_stored(batch), self._changed(batch))

    async def _checks_stored(self, batch: StoredBatch) -> None:
        if batch.checks:
            await self.plugins.notify("pulse_checks_stored", app=self, checks=batch.checks)

    async def _changed(self, batch: StoredBatch) -> None:
        for change, endpoint in batch.changes:
            await self.plugins.notify(
                "pulse_status_changed", app=self, change=change, endpoint=endpoint
            )


#: a stored batch with more endpoints up at their first checks than this logs their count
FIRST_UPS_NAMED = 10


def change_lines(changes: Sequence[tuple[StatusChange, Endpoint]]) -> list[str]:
    """The log's lines for a stored batch's changes: one each, except that endpoints up at
    their first checks are counted when a batch has more than ``FIRST_UPS_NAMED`` of them (a
    large site's start makes tens of thousands, which said nothing a count does not and
    cost the main process a line each in its busiest seconds)."""
    first_ups = sum(
        change.previous is State.UNKNOWN and change.state is State.UP for change, _ in changes
    )
    counted = first_ups > FIRST_UPS_NAMED
    lines = [
        f"{endpoint.name} is {change.state.value} (was {change.previous.value})"
        + (f": {change.error}" if change.error else "")
        for change, endpoint in changes
        if not (counted and change.previous is State.UNKNOWN and change.state is State.UP)
    ]
    if counted:
        lines.append(f"{first_ups} endpoints are up at their first checks")
    return lines


@asynccontextmanager
async def started(
    config_path: Path,
    plugins: PluginHost | None = None,
    environ: Mapping[str, str] | None = None,
    before_start: Callable[[PulseConfig], None] | None = None,
) -> AsyncIterator[Pulse]:
    """The Pulse of the file at ``config_path``, started, and stopped (every pending write
    flushed) when the block ends: the one way in to a running Pulse, so that its class stays
    this module's own. ``plugins`` and ``environ`` are as for :meth:`Pulse.create`.

    ``before_start`` is handed the loaded configuration before anything starts and may raise
    to start nothing: the command line checks there that the web port is free."""
    pulse = Pulse.create(config_path, environ, plugins)
    if before_start is not None:
        before_start(pulse.config)
    await pulse.start()
    try:
        yield pulse
    finally:
        await pulse.stop()


def _storage_url(config: PulseConfig) -> str:
    url = config.storage.url
    assert url is not None, "the config loader fills in the default storage URL"
    return url


async def _cancel(*tasks: asyncio.Task[None] | None) -> None:
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    for task in running:
        await _join(task)


async def _join(task: asyncio.Task[None]) -> None:
    """Wait for ``task`` to end; an error it ended with is logged, so stopping goes on."""
    try:
        await task
    except asyncio.CancelledError:
        pass
    except Exception:
        log.exception("task %s ended with an error", task.get_name())
