"""Finding, loading and calling plugins.

``PluginHost`` wraps pluggy so the rest of Pulse never touches ``pm.hook``: it loads the
built-in plugins and the ``pulse`` entry points one at a time (a plugin that fails to import,
to register or to match the hook contract is reported and skipped, the others still load),
builds the registries from the registration hooks, and drives event hooks concurrently under
a timeout. One host belongs to one application; nothing is loaded on import.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import os
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any, Callable, Collection, Iterable, Mapping, TypeVar

import pluggy
from pydantic import BaseModel

from pulse_core import hookspecs
from pulse_core.config.model import PulseConfig
from pulse_core.contract.webhooks import WebhookDialect
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
    """What ``pulse plugins`` shows for one plugin: what it is, which hooks it implements,
    what it registered (by kind: ``probe type``, ``notifier type``, ``store URL scheme``,
    ``config section``, ``command``, ``webhook dialect``, ``route``), and what went wrong loading it."""

    name: str
    version: str | None
    hooks: tuple[str, ...]
    error: str | None = None
    registered: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    """A ``pulse`` subcommand a plugin adds (see ``pulse_register_commands``)."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


class RegistrationClash(Exception):
    """Two plugins registered the same key and neither said it replaces the other on purpose."""


@dataclass
class Registries:
    """What the registration hooks handed over, by key."""

    probes: dict[str, type[Probe]] = field(default_factory=dict)
    stores: dict[str, type[Store]] = field(default_factory=dict)
    notifiers: dict[str, type[Notifier]] = field(default_factory=dict)
    config_sections: dict[str, type[BaseModel]] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    blueprints: list[Any] = field(default_factory=list)
    webhook_dialects: dict[str, WebhookDialect] = field(default_factory=dict)


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
        self._registered: dict[str, dict[str, list[str]]] = {}
        self._blueprints_of: dict[str, list[Any]] = {}

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
            _refuse_ordering_options(self._pm, name)
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

    def _record_problem(self, name: str, message: str) -> None:
        """A loaded plugin that failed at part of its work: kept, and the problem shown."""
        log.error("plugin %s: %s", name, message)
        previous = self.errors.get(name)
        self.errors[name] = message if previous is None else f"{previous}; {message}"

    # -- introspection ------------------------------------------------------------------------
    def plugin_infos(self) -> list[PluginInfo]:
        self.registries  # noqa: B018 — what each plugin registered is known once they are built
        infos = []
        for name, version in self._versions.items():
            plugin = self._pm.get_plugin(name)
            hooks = (
                tuple(sorted(caller.name for caller in self._pm.get_hookcallers(plugin) or ()))
                if plugin is not None
                else ()
            )
            registered = {kind: tuple(keys) for kind, keys in self._registered.get(name, {}).items()}
            routes = [route for bp in self._blueprints_of.get(name, ()) for route in _routes(bp)]
            if routes:
                registered["route"] = tuple(routes)
            infos.append(PluginInfo(name, version, hooks, self.errors.get(name), registered))
        return sorted(infos, key=lambda info: info.name)

    # -- registries ---------------------------------------------------------------------------
    @property
    def registries(self) -> Registries:
        if self._registries is None:
            self._registries = self._collect()
        return self._registries

    def _collect(self) -> Registries:
        found = Registries()
        owners: dict[tuple[str, str], str] = {}
        self._registered = {}
        self._blueprints_of = {}

        def claim(plugin: str, what: str, registry: dict[str, T], key: str, value: T,
                  override: bool) -> None:
            """Keep the first registration of a key; a later one replaces it only when it
            says so, so two plugins never silently fight over a probe type or a section."""
            owner = owners.get((what, key))
            if owner is not None and owner != plugin and not override:
                raise RegistrationClash(
                    f"{what} {key!r} is registered by {owner} already, and {plugin} registers "
                    f"it too: uninstall or disable one of them ({DENY_ENV}), or, to replace it "
                    f"on purpose, register it with override=True"
                )
            if owner is not None and owner != plugin:
                log.info("%s %r of %s replaced by %s (override=True)", what, key, owner, plugin)
            owners[(what, key)] = plugin
            registry[key] = value
            self._registered.setdefault(plugin, {}).setdefault(what, []).append(key)

        def probes(plugin: str) -> Callable[..., None]:
            def register(probe: type[Probe], override: bool = False) -> None:
                claim(plugin, "probe type", found.probes, probe.type_name, probe, override)
            return register

        def stores(plugin: str) -> Callable[..., None]:
            def register(store: type[Store], override: bool = False) -> None:
                for scheme in store.url_schemes:
                    claim(plugin, "store URL scheme", found.stores, scheme, store, override)
            return register

        def notifiers(plugin: str) -> Callable[..., None]:
            def register(notifier: type[Notifier], override: bool = False) -> None:
                claim(plugin, "notifier type", found.notifiers, notifier.type_name, notifier,
                      override)
            return register

        def sections(plugin: str) -> Callable[..., None]:
            def register(name: str, model: type[BaseModel], override: bool = False) -> None:
                claim(plugin, "config section", found.config_sections, name, model, override)
            return register

        def commands(plugin: str) -> Callable[..., None]:
            def register(
                name: str,
                help: str,
                add_arguments: Callable[[argparse.ArgumentParser], None],
                run: Callable[[argparse.Namespace], int],
                override: bool = False,
            ) -> None:
                command = Command(name, help, add_arguments, run)
                claim(plugin, "command", found.commands, name, command, override)
            return register

        def dialects(plugin: str) -> Callable[..., None]:
            def register(dialect: WebhookDialect, override: bool = False) -> None:
                claim(plugin, "webhook dialect", found.webhook_dialects, dialect.name, dialect,
                      override)
            return register

        def blueprints(plugin: str) -> Callable[..., None]:
            def register(blueprint: Any) -> None:
                found.blueprints.append(blueprint)
                self._blueprints_of.setdefault(plugin, []).append(blueprint)
            return register

        self._each_registration("pulse_register_probes", probes)
        self._each_registration("pulse_register_stores", stores)
        self._each_registration("pulse_register_notifiers", notifiers)
        self._each_registration("pulse_config_sections", sections)
        self._each_registration("pulse_register_blueprints", blueprints)
        self._each_registration("pulse_register_webhook_dialects", dialects)
        self._each_registration("pulse_register_commands", commands)
        return found

    def _each_registration(
        self, hook_name: str, register_for: Callable[[str], Callable[..., None]]
    ) -> None:
        """Call a registration hook plugin by plugin, each with a ``register`` that knows
        whose registrations it takes, so a failure or a clash names its plugin."""
        caller = getattr(self._pm.hook, hook_name)
        for impl in caller.get_hookimpls():  # registration order: built-ins first
            try:
                impl.function(register_for(impl.plugin_name))
            except RegistrationClash as clash:
                self._record_problem(impl.plugin_name, str(clash))
            except Exception as exc:
                self._record_error(
                    impl.plugin_name,
                    self._versions.get(impl.plugin_name),
                    f"{hook_name} failed: {exc!r}",
                )

    def commands(self, built_in: Collection[str]) -> list[Command]:
        """The plugins' commands, less any named as a ``built_in`` one: that is reported as
        its plugin's problem, since a plugin must not change what a built-in command does."""
        kept = []
        for name, command in self.registries.commands.items():
            if name in built_in:
                owner = next(plugin for plugin, kinds in self._registered.items()
                             if name in kinds.get("command", ()))
                self._record_problem(
                    owner, f"command {name!r} is a built-in pulse command: register it under "
                    f"another name",
                )
            else:
                kept.append(command)
        return kept

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


#: pluggy's ordering options, which Pulse's hooks do not follow: event hooks run concurrently
#: and registration hooks in load order, where an override says so explicitly.
ORDERING_OPTIONS = ("tryfirst", "trylast", "wrapper", "hookwrapper")


def _refuse_ordering_options(pm: pluggy.PluginManager, name: str) -> None:
    """Refuse an implementation marked with an option that would be silently ignored."""
    plugin = pm.get_plugin(name)
    for caller in pm.get_hookcallers(plugin) or ():
        for impl in caller.get_hookimpls():
            used = [option for option in ORDERING_OPTIONS if impl.plugin is plugin
                    and getattr(impl, option)]
            if used:
                raise pluggy.PluginValidationError(
                    plugin,
                    f"{caller.name} is marked {', '.join(used)}=True, which Pulse does not "
                    f"honour: event hooks run concurrently and registration hooks in load "
                    f"order. Remove the option; to replace another plugin's registration, "
                    f"call register(..., override=True)",
                )


def _routes(blueprint: Any) -> list[str]:
    """``METHODS /path`` of every route of ``blueprint``, read by mounting it on a scratch
    application: a blueprint only knows its routes once an application records them."""
    from quart import Quart  # only ``pulse plugins`` asks, so the import waits until then

    scratch = Quart("pulse-plugins")
    scratch.register_blueprint(blueprint)
    routes = []
    for rule in scratch.url_map.iter_rules():
        if rule.endpoint.startswith(f"{blueprint.name}."):
            methods = ["WS"] if rule.websocket else sorted(rule.methods - {"HEAD", "OPTIONS"})
            routes.append(f"{','.join(methods)} {rule.rule}")
    return sorted(routes)
