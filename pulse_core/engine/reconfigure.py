"""Applying a new configuration to a running Pulse, without a restart and without losing state.

The new YAML is validated by the same loader as at start-up, then compared with the running
configuration endpoint by endpoint. Endpoint ids depend only on what is checked, so a renamed
endpoint is *updated* (same id, same history) rather than removed and added. The steps run in
the order the parts depend on each other:

1. the store learns the new catalogue, before any check of a new endpoint can reach it;
2. the text is kept as a new configuration version and saved to the file Pulse was started
   with (tmp file + rename), so a restart runs what the API applied;
3. :meth:`ConfigChanger.take` runs it, the sequence start-up runs too: probes are started
   for new types (and replaced where ``defaults.<type>`` changed), the monitor follows the
   new endpoints (those that stay keep their state), the scheduler starts new and changed
   ones and stops removed ones (unchanged ones keep their phase), then alerting follows
   the configuration and plugins hear ``pulse_config_applied``.

Applies run one at a time; an edit of the running text (the write API) happens under the
same lock, so two concurrent edits cannot lose each other.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import operator
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pulse_core.alerting.destinations import refused_destinations
from pulse_core.alerting.dialect_hints import missing_dialects
from pulse_core.config.budget import Budget, in_worker, load_in_worker
from pulse_core.config.errors import ConfigError
from pulse_core.config.incremental import (
    Reloaded,
    added_references,
    changed_region,
    reload_region,
)
from pulse_core.config.layout import RunningText, TargetLayout, layout_of
from pulse_core.config.limits import VALIDATION_SECONDS
from pulse_core.config.model import PulseConfig, text_sha256
from pulse_core.config.privileged import require_admin_for, require_admin_for_references
from pulse_core.engine.checks import GUARD_SLACK_S
from pulse_core.engine.long_lived import settle_long_lived_objects
from pulse_core.models import Endpoint, EndpointSnapshot, Outage, State
from pulse_core.probe import Probe

if TYPE_CHECKING:
    from pulse_core.alerting.engine import AlertEngine
    from pulse_core.engine.monitor import Monitor
    from pulse_core.engine.probing import Probing
    from pulse_core.engine.scheduler import Scheduler
    from pulse_core.engine.writer import StoreWriter
    from pulse_core.plugins import PluginHost
    from pulse_core.store import Store

log = logging.getLogger("pulse.config")


@dataclass(frozen=True)
class EndpointChanges:
    """How two configurations differ, endpoint by endpoint (compared by id)."""

    added: tuple[Endpoint, ...] = ()
    #: same id, different settings (a rename, another interval, ...), in the new version
    updated: tuple[Endpoint, ...] = ()
    removed: tuple[Endpoint, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def diff_endpoints(old: Sequence[Endpoint], new: Sequence[Endpoint]) -> EndpointChanges:
    before = {endpoint.id: endpoint for endpoint in old}
    after = {endpoint.id: endpoint for endpoint in new}
    return EndpointChanges(
        added=tuple(ep for ep in new if ep.id not in before),
        updated=tuple(ep for ep in new if ep.id in before and _differ(before[ep.id], ep)),
        removed=tuple(ep for ep in old if ep.id not in after),
    )


#: an endpoint's own name, empty for an unnamed one: ``Endpoint.name`` would build
#: ``ICMP 10.0.0.5`` (an IP address parsed) for every unnamed endpoint compared
_OWN_NAME = Endpoint.name
#: every field but the name, as one tuple read in C: a changed default updates every
#: endpoint, and a generator of ``getattr`` per field took 30-50 ms at 10,000 of them
_COMPARED = operator.attrgetter(
    *(field.name for field in dataclasses.fields(Endpoint) if field.name != "name")
)


def _differ(old: Endpoint, new: Endpoint) -> bool:
    """``old != new``, without building the names of unnamed endpoints."""
    if old is new:
        return False
    return _COMPARED(old) != _COMPARED(new) or _own_name(old) != _own_name(new)


def _own_name(endpoint: Endpoint) -> str:
    try:
        return str(_OWN_NAME.__get__(endpoint, Endpoint))
    except AttributeError:
        return ""


@dataclass(frozen=True)
class ApplyResult:
    """What applying a configuration did (or, for a dry run, would do)."""

    #: the version now running; ``None`` for a dry run that would create one
    config_version_id: int | None
    changes: EndpointChanges
    warnings: tuple[str, ...]
    #: whether the text differs from the running one (an identical text changes nothing)
    changed: bool
    dry_run: bool
    #: the validated configuration (the running one when nothing changed)
    config: PulseConfig


class Running(Protocol):
    """What applying a configuration reads and replaces of the running Pulse (the
    application object is one)."""

    config: PulseConfig
    config_version_id: int | None
    plugins: PluginHost
    store: Store
    probes: dict[str, Probe]
    #: where probes run (this process, or worker processes)
    probing: Probing
    monitor: Monitor
    scheduler: Scheduler
    writer: StoreWriter
    alerts: AlertEngine

    async def config_text(self) -> str: ...

    def begin(self, remembered: Mapping[str, EndpointSnapshot]) -> None:
        """At start-up: resume the states the store remembers (``remembered``) and lay out
        the first schedule."""

    def probed(self, endpoints: Sequence[Endpoint]) -> Sequence[Endpoint]:
        """Those of ``endpoints`` this node probes (in a cluster, its own share)."""

    def share(self, config: PulseConfig) -> Sequence[Endpoint]:
        """The endpoints of ``config`` this node probes from now on (a cluster node
        remembers them as its own)."""

    async def announce_config(self, version_id: int) -> None:
        """Tell the other nodes of a cluster that ``version_id`` now runs."""


class ConfigChanger:
    """Applies configurations to one running Pulse, one at a time."""

    def __init__(self, pulse: Running) -> None:
        self._pulse = pulse
        self._lock = asyncio.Lock()
        self._retiring: set[asyncio.Task[None]] = set()
        #: the running text's layout, once known (see :mod:`pulse_core.config.layout`)
        self._layout: TargetLayout | None = None
        self._measuring: asyncio.Task[None] | None = None

    async def apply(
        self, yaml_text: str, actor: str | None = None, note: str | None = None,
        dry_run: bool = False, admin: bool = True,
    ) -> ApplyResult:
        """Validate ``yaml_text`` and make it the running configuration (unless ``dry_run``).

        Raises :class:`~pulse_core.config.ConfigError` when the text is not valid, and
        :class:`~pulse_core.config.privileged.AdminRequired` when it changes admin-only
        settings, or adds a ``${VAR}`` reference, and the caller is not ``admin``; then
        nothing changes.
        """
        async with self._lock:
            return await self._apply(yaml_text, actor, note, dry_run, admin)

    async def edit(
        self, change: Callable[[RunningText], str], actor: str | None, note: str | None,
        admin: bool = True,
    ) -> ApplyResult:
        """Apply ``change(running)``, the running text edited, atomically with respect to
        other applies and edits. ``change`` runs in a worker thread; the text is read from
        the store, which is where the running text is kept."""
        async with self._lock:
            pulse = self._pulse
            running_text = await pulse.config_text()
            layout = await self._layout_of(running_text)
            text = await asyncio.to_thread(
                change, RunningText(pulse.config, running_text, layout)
            )
            return await self._apply(text, actor, note, False, admin, running_text)

    async def close(self) -> None:
        """Close at once the replaced probes still waiting for their last checks."""
        tasks = [*self._retiring, *([self._measuring] if self._measuring else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _apply(
        self, text: str, actor: str | None, note: str | None, dry_run: bool, admin: bool,
        running_text: str | None = None,
    ) -> ApplyResult:
        pulse = self._pulse
        running = pulse.config
        if text_sha256(text) == running.source_sha256:
            return ApplyResult(
                pulse.config_version_id, EndpointChanges(), (), False, dry_run, running
            )
        layout = await self._known_layout()
        if running_text is None and (layout is not None or not admin):
            running_text = await pulse.config_text()
        reloaded = await self._reload_changed(layout, running_text, text, admin)
        registries = pulse.plugins.registries
        if reloaded is not None:
            config = reloaded.config
            changes = EndpointChanges(reloaded.added, reloaded.updated, reloaded.removed)
        else:
            config = await load_in_worker(
                text, probes=registries.probes,
                sections=registries.config_sections, source_path=running.source_path,
                cross_checks=pulse.plugins.check_config,
            )
            changes = diff_endpoints(running.endpoints, config.endpoints)
        if not admin:
            require_admin_for(running, config)
        warnings = _restart_warnings(running, config) + await refused_destinations(config)
        warnings += missing_dialects(config, registries.webhook_dialects)
        if dry_run:
            return ApplyResult(None, changes, tuple(warnings), True, True, config)

        # the stored catalogue is the running configuration's (synced at start-up, updated at
        # every apply): the changes are known exactly, so only their rows are written, where
        # comparing every stored row took 160-180 ms at 10,000 endpoints
        await pulse.store.update_catalog(
            config.groups, config.endpoints, changes.added + changes.updated, changes.removed
        )
        version = await pulse.store.add_config_version(
            text, config.source_sha256, time.time(), actor, note
        )
        if running.source_path is not None:
            warnings += await asyncio.to_thread(
                save_config_text, running.source_path, text, running.source_sha256
            )
        warnings += await self.take(config, version.id, changes.removed)
        if reloaded is not None:
            self._layout = reloaded.layout
        else:
            self.measure_layout(text)
        await pulse.announce_config(version.id)
        log.info(
            "configuration version %d applied by %s: %d added, %d updated, %d removed",
            version.id, actor or "an unnamed caller", len(changes.added), len(changes.updated),
            len(changes.removed),
        )
        return ApplyResult(version.id, changes, tuple(warnings), True, False, config)

    async def follow(self, version_id: int) -> None:
        """Run configuration version ``version_id``, which another node of the cluster
        applied: validated here first (a version this node cannot run is logged and the
        running one kept), never saved over this node's file. An announcement that arrives
        after a newer version's is ignored."""
        async with self._lock:
            pulse = self._pulse
            latest = await pulse.store.config_versions(limit=1)
            if version_id == pulse.config_version_id or (latest and latest[0].id > version_id):
                return
            version = await pulse.store.config_version(version_id)
            if version is None:
                log.warning("configuration version %d was announced but is not stored", version_id)
                return
            running = pulse.config
            registries = pulse.plugins.registries
            try:
                config = await load_in_worker(
                    version.yaml_text, probes=registries.probes,
                    sections=registries.config_sections, source_path=running.source_path,
                    cross_checks=pulse.plugins.check_config,
                )
            except ConfigError as error:
                log.error(
                    "configuration version %d, applied on another node, cannot run on this "
                    "one, which keeps running version %s: %s",
                    version_id, pulse.config_version_id, error,
                )
                return
            changes = diff_endpoints(running.endpoints, config.endpoints)
            await pulse.store.sync_catalog(config.groups, config.endpoints)
            for warning in await self.take(config, version_id, changes.removed):
                log.warning("%s", warning)
            log.info(
                "configuration version %d, applied on another node, runs here too: "
                "%d added, %d updated, %d removed",
                version_id, len(changes.added), len(changes.updated), len(changes.removed),
            )

    async def _reload_changed(
        self, layout: TargetLayout | None, running_text: str | None, text: str, admin: bool
    ) -> Reloaded | None:
        """``text`` loaded by validating only the targets it changes (see
        :mod:`pulse_core.config.incremental`); ``None`` when it must be loaded whole.

        A caller who is not an admin is refused a new ``${VAR}`` reference first, before
        any variable is read: its value must not reach an answer."""
        pulse = self._pulse
        running = pulse.config
        region = None
        if layout is not None and running_text is not None:
            region = await asyncio.to_thread(changed_region, layout, running_text, text)
        if not admin and running_text is not None:
            if region is None or await asyncio.to_thread(
                added_references, region, running_text, text
            ):
                await asyncio.to_thread(require_admin_for_references, running_text, text)
        if region is None or layout is None:
            return None
        return await in_worker(
            reload_region, running, layout, region, text,
            probes=pulse.plugins.registries.probes, environ=os.environ,
            cross_checks=pulse.plugins.check_config, budget=Budget(VALIDATION_SECONDS),
        )

    def measure_layout(self, running_text: str) -> None:
        """Work out the layout of ``running_text`` (the running configuration's) in the
        background, for the next write: a whole parse, paid once per text loaded whole."""
        config = self._pulse.config

        async def measure() -> None:
            try:
                layout = await asyncio.to_thread(layout_of, config, running_text)
            except Exception:
                log.exception("the layout of the running configuration could not be read")
                return
            if layout is not None and self._pulse.config.source_sha256 == layout.sha256:
                self._layout = layout

        self._measuring = asyncio.create_task(measure(), name="configuration-layout")

    async def _known_layout(self) -> TargetLayout | None:
        """The running text's layout if it is known (or being worked out)."""
        if self._measuring is not None:
            await asyncio.gather(self._measuring, return_exceptions=True)
        layout = self._layout
        return layout if layout and layout.sha256 == self._pulse.config.source_sha256 else None

    async def _layout_of(self, running_text: str) -> TargetLayout | None:
        """The running text's layout, worked out (a whole parse) when not known yet."""
        layout = await self._known_layout()
        if layout is None:
            layout = self._layout = await asyncio.to_thread(
                layout_of, self._pulse.config, running_text
            )
        return layout

    async def take(
        self, config: PulseConfig, version_id: int, removed: Sequence[Endpoint] = (),
        remembered: Mapping[str, EndpointSnapshot] | None = None,
    ) -> list[str]:
        """Make ``config`` (stored as ``version_id``, its catalogue in the store) the running
        configuration: the one sequence of start-up (``remembered`` given: the states the
        store kept) and of every change after it (``removed``: the endpoints it drops).
        Returns warnings for people (a probe that cannot start).

        1. a started probe for each type (none runs at start-up), a fresh one where its
           ``defaults.<type>`` changed;
        2. the monitor follows the endpoints: those that stay keep their state, a removed
           one closes its open outage as a gap;
        3. at start-up the remembered states are resumed and the first schedule laid out
           (``Running.begin``); afterwards the scheduler follows this node's share;
        4. the objects of the configuration are settled out of the collector's way;
        5. alerting follows the configuration (its first starts it, with the outages
           resumed open), then plugins hear ``pulse_config_applied``.
        """
        pulse = self._pulse
        warnings = await self._prepare_probes(pulse.config, config)
        pulse.config, pulse.config_version_id = config, version_id
        self._close_outages(pulse.probed(removed))
        pulse.monitor.set_endpoints(config.endpoints, config.dependencies)
        resumed = None
        if remembered is None:
            pulse.scheduler.reschedule(pulse.share(config))
        else:
            pulse.begin(remembered)
            resumed = _resumed_outages(pulse, remembered)
        settle_long_lived_objects()
        await pulse.alerts.apply(config, resumed)
        await pulse.plugins.notify("pulse_config_applied", app=pulse, config=config)
        return warnings

    async def _prepare_probes(self, running: PulseConfig, config: PulseConfig) -> list[str]:
        """Start a probe for each type that has none running, and a fresh one where its
        defaults changed from ``running``'s.

        A probe no endpoint uses any more keeps running until Pulse stops: it holds little,
        and a type that comes back finds it ready.
        """
        pulse = self._pulse
        warnings: list[str] = []
        for type_name in sorted({endpoint.type for endpoint in config.endpoints}):
            defaults = config.probe_defaults.get(type_name)
            current = pulse.probes.get(type_name)
            if current is not None and running.probe_defaults.get(type_name) == defaults:
                continue
            probe, problem = await pulse.probing.start_probe(type_name, defaults)
            if problem is not None:
                warnings.append(problem)
            pulse.probes[type_name] = probe
            if current is not None:
                self._retire(current, _longest_check_s(running.endpoints, type_name))
        return warnings

    def _retire(self, probe: Probe, after_s: float) -> None:
        """Close a replaced probe once the checks that already hold it can have finished."""
        task = asyncio.create_task(_close_later(probe, after_s), name=f"retire-{probe.type_name}")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    def _close_outages(self, removed: Sequence[Endpoint]) -> None:
        """An endpoint leaving while down (or unreachable) ends its outage (or period
        unreachable) at its last check, marked as a gap (monitoring stopped, no recovery was
        seen); should it come back, it starts afresh."""
        writer = self._pulse.writer
        for endpoint in removed:
            state = self._pulse.monitor.states.get(endpoint.id)
            if state is None or state.open_period is None:
                continue
            outage = state.open_period
            last_ts = state.last_ts if state.last_ts is not None else outage.started_ts
            writer.add_outage(dataclasses.replace(outage, ended_ts=last_ts, gap=True))
            writer.add_snapshot(EndpointSnapshot(endpoint.id, State.UNKNOWN, None, last_ts))


def _resumed_outages(
    pulse: Running, remembered: Mapping[str, EndpointSnapshot]
) -> list[Outage]:
    """The outages ``remembered`` that the monitor resumed open: alerting watches these
    without reading every state from the store again (the start-up's longest read at a large
    site), and not one that a long gap has closed."""
    states = pulse.monitor.states
    resumed = []
    for endpoint_id, snapshot in remembered.items():
        if snapshot.state is State.DOWN and snapshot.open_outage is not None:
            state = states.get(endpoint_id)
            if state is not None and (outage := state.open_outage) is not None:
                resumed.append(outage)
    return resumed


def _restart_warnings(running: PulseConfig, config: PulseConfig) -> list[str]:
    warnings = []
    if (running.server.host, running.server.port) != (config.server.host, config.server.port):
        warnings.append("server.host and server.port take effect when Pulse restarts")
    if running.server.tls != config.server.tls:
        warnings.append("server.tls takes effect when Pulse restarts")
    if running.storage != config.storage:
        warnings.append("storage settings take effect when Pulse restarts")
    return warnings


def _longest_check_s(endpoints: Sequence[Endpoint], type_name: str) -> float:
    """The longest a check of ``type_name`` may take, every attempt timing out."""
    return max(
        (
            (endpoint.timeout_ms / 1000 + GUARD_SLACK_S) * (endpoint.retries + 1)
            for endpoint in endpoints
            if endpoint.type == type_name
        ),
        default=0.0,
    )


async def _close_later(probe: Probe, delay_s: float) -> None:
    try:
        await asyncio.sleep(delay_s)
    finally:
        try:
            await probe.close()
        except Exception:
            log.exception("closing the replaced %s probe failed", probe.type_name)


def save_config_text(path: Path, text: str, loaded_sha256: str) -> list[str]:
    """Write ``text`` over the configuration file, atomically (tmp file + rename).

    The file is left alone when it no longer holds the text Pulse runs, whose
    :func:`~pulse_core.config.model.text_sha256` is ``loaded_sha256`` (the text itself is
    not kept in memory): someone edited it since Pulse read it, and their work must not be
    overwritten. A file that is gone is written again. Returns warnings for people.
    """
    target = path.resolve()  # a symlinked config stays a symlink; its target is rewritten
    try:
        # the bytes as they are: read_text() would turn CRLF into LF, and then a file Pulse
        # wrote with CRLF would never match what it wrote
        on_disk = text_sha256(target.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        on_disk = loaded_sha256
    except (OSError, UnicodeDecodeError) as error:
        return [_not_saved(path, f"it cannot be read ({error})")]
    if on_disk != loaded_sha256:
        return [_not_saved(path, "it was changed on disk since Pulse loaded it")]
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        return [_not_saved(path, error.strerror or str(error))]
    return []


def _not_saved(path: Path, reason: str) -> str:
    return (
        f"the configuration is running but was not saved to {path}: {reason}; "
        "save GET /api/configuration/current there, or a restart runs the file as it is"
    )
