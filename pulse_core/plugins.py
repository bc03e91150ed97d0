"""Finding, loading and calling plugins.

``PluginHost`` wraps pluggy so the rest of Pulse never touches ``pm.hook``: it loads the
built-in plugins and the ``pulse`` entry points one at a time (a plugin that fails to import,
to register or to match the hook contract is reported and skipped, the others still load),
builds the registries from the registration hooks, and drives event hooks concurrently under
a timeout. One host belongs to one application; nothing is loaded on import.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any, Callable, Iterable, Mapping, TypeVar

import pluggy
from pydantic import BaseModel

from pulse_core import hookspecs
from pulse_core.config.model import PulseConfig
from pulse_core.notifier import Notifier
from pulse_core.probe import Probe
from pulse_core.store import Store

log = logging.getLogger("pulse.plugins")

ENTRY_POINT_GROUP = "pulse"
ALLOW_ENV = "PULSE_PLUGINS"
DENY_ENV = "PULSE_DISABLE_PLUGINS"
DEFAULT_HOOK_TIMEOUT_S = 10.0

T = TypeVar("T")


@dataclass(frozen=True)
class PluginInfo:
    """What ``pulse plugins`` shows for one plugin."""

    name: str
    version: str | None
    hooks: tuple[str, ...]
    error: str | None = None


@dataclass
class Registries:
    """What the registration hooks handed over, by key."""

    probes: dict[str, type[Probe]] = field(default_factory=dict)
    stores: dict[str, type[Store]] = field(default_factory=dict)
    notifiers: dict[str, type[Notifier]] = field(default_factory=dict)
    config_sections: dict[str, type[BaseModel]] = field(default_factory=dict)
    blueprints: list[Any] = field(default_factory=list)


def _names_from_env(variable: str, environ: Mapping[str, str]) -> set[str] | None:
    raw = environ.get(variable)
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


class PluginHost:
    """The plugins of one Pulse application."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        self._allow = _names_from_env(ALLOW_ENV, environ)
        self._deny = _names_from_env(DENY_ENV, environ) or set()
        self._pm = pluggy.PluginManager("pulse")
        self._pm.add_hookspecs(hookspecs)
        self._versions: dict[str, str | None] = {}
        self.errors: dict[str, str] = {}
        self._registries: Registries | None = None

    # -- loading ------------------------------------------------------------------------------
    def load(self, builtins: Iterable[ModuleType] = (), entry_points: bool = True) -> None:
        """Register ``builtins`` (first, so plugins can override them), then entry points."""
        for module in builtins:
            self.register(module, name=module.__name__, version=None)
        if entry_points:
            self._load_entry_points()

    def _load_entry_points(self) -> None:
        found = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
        for entry_point in found:
            if self._allow is not None and entry_point.name not in self._allow:
                log.debug("plugin %s not in %s: skipped", entry_point.name, ALLOW_ENV)
                continue
            if entry_point.name in self._deny:  # not even imported
                log.info("plugin %s disabled by %s", entry_point.name, DENY_ENV)
                continue
            version = entry_point.dist.version if entry_point.dist else None
            try:
                plugin = entry_point.load()
            except Exception as exc:  # any import-time failure must not stop the others
                self._record_error(entry_point.name, version, f"cannot import: {exc!r}")
                continue
            self.register(plugin, name=entry_point.name, version=version)

    def register(self, plugin: object, name: str, version: str | None = None) -> bool:
        """Register one plugin object; on any contract violation report it and leave it out."""
        if name in self._deny:
            log.info("plugin %s disabled by %s", name, DENY_ENV)
            return False
        try:
            self._pm.register(plugin, name=name)
            self._pm.check_pending()
        except pluggy.PluginValidationError as exc:
            if self._pm.is_registered(plugin):
                self._pm.unregister(plugin)
            self._record_error(name, version, str(exc))
            return False
        except ValueError as exc:  # registered twice under one name
            self._record_error(name, version, str(exc))
            return False
        self._versions[name] = version
        self._registries = None
        return True

    def _record_error(self, name: str, version: str | None, message: str) -> None:
        log.error("plugin %s not loaded: %s", name, message)
        self._versions[name] = version
        self.errors[name] = message

    # -- introspection ------------------------------------------------------------------------
    def plugin_infos(self) -> list[PluginInfo]:
        infos = []
        for name, version in self._versions.items():
            plugin = self._pm.get_plugin(name)
            hooks = (
                tuple(sorted(caller.name for caller in self._pm.get_hookcallers(plugin) or ()))
                if plugin is not None
                else ()
            )
            infos.append(PluginInfo(name, version, hooks, self.errors.get(name)))
        return sorted(infos, key=lambda info: info.name)

    # -- registries ---------------------------------------------------------------------------
    @property
    def registries(self) -> Registries:
        if self._registries is None:
            self._registries = self._collect()
        return self._registries

    def _collect(self) -> Registries:
        found = Registries()
        self._each_registration(
            "pulse_register_probes",
            lambda probe: _add_unique(found.probes, probe.type_name, probe, "probe type"),
        )

        def add_store(store: type[Store]) -> None:
            for scheme in store.url_schemes:
                _add_unique(found.stores, scheme, store, "store URL scheme")

        self._each_registration("pulse_register_stores", add_store)
        self._each_registration(
            "pulse_register_notifiers",
            lambda notifier: _add_unique(
                found.notifiers, notifier.type_name, notifier, "notifier type"
            ),
        )
        self._each_registration(
            "pulse_config_sections",
            lambda name, model: _add_unique(found.config_sections, name, model, "config section"),
        )
        self._each_registration("pulse_register_blueprints", found.blueprints.append)
        return found

    def _each_registration(self, hook_name: str, register: Callable[..., None]) -> None:
        """Call a registration hook plugin by plugin, so a failure names its plugin."""
        caller = getattr(self._pm.hook, hook_name)
        for impl in caller.get_hookimpls():  # registration order: built-ins first
            try:
                impl.function(register)
            except Exception as exc:
                self._record_error(
                    impl.plugin_name,
                    self._versions.get(impl.plugin_name),
                    f"{hook_name} failed: {exc!r}",
                )

    def check_config(
        self, config: PulseConfig, report: Callable[[tuple[str | int, ...], str], None]
    ) -> None:
        """Run every plugin's cross-section checks; a plugin that fails is reported as one
        issue naming it, so the user learns the file could not be fully checked."""
        for impl in self._pm.hook.pulse_check_config.get_hookimpls():
            try:
                impl.function(config, report)
            except Exception as exc:
                log.exception("plugin %s: pulse_check_config failed", impl.plugin_name)
                report((), f"plugin {impl.plugin_name} could not check the configuration: {exc}")

    # -- event hooks --------------------------------------------------------------------------
    async def notify(
        self, hook_name: str, timeout_s: float = DEFAULT_HOOK_TIMEOUT_S, **kwargs: Any
    ) -> None:
        """Call every implementation of event hook ``hook_name`` concurrently.

        Each call runs under its own timeout; a failure or a timeout is logged with the
        plugin's name and never reaches the caller or the other plugins.
        """
        caller = getattr(self._pm.hook, hook_name)
        impls = caller.get_hookimpls()
        if len(impls) == 1:  # the common case: no task to run it beside the others
            await self._call_one(impls[0], hook_name, timeout_s, kwargs)
        elif impls:
            await asyncio.gather(
                *(self._call_one(impl, hook_name, timeout_s, kwargs) for impl in impls)
            )

    async def _call_one(
        self, impl: Any, hook_name: str, timeout_s: float, kwargs: Mapping[str, Any]
    ) -> None:
        arguments = {name: kwargs[name] for name in impl.argnames}
        try:
            async with asyncio.timeout(timeout_s):
                result = impl.function(**arguments)
                if inspect.isawaitable(result):
                    await result
        except TimeoutError:
            log.error("plugin %s: %s took longer than %.0f s", impl.plugin_name, hook_name, timeout_s)
        except Exception:
            log.exception("plugin %s: %s failed", impl.plugin_name, hook_name)


def _add_unique(registry: dict[str, T], key: str, value: T, what: str) -> None:
    """Later registrations replace earlier ones (plugins override built-ins), loudly."""
    previous = registry.get(key)
    if previous is not None and previous is not value:
        log.warning("%s %r: %r replaces %r", what, key, value, previous)
    registry[key] = value
