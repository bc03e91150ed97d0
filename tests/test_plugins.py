"""The plugin host: loading entry points, guarding against broken plugins, event dispatch."""

from __future__ import annotations

import asyncio
import logging
import sys
import textwrap
from pathlib import Path
from typing import Callable

import pytest

from pulse_core import hookimpl, hookspecs
from pulse_core.cli import build_parser
from pulse_core.plugins import PluginHost
from pulse_core.probe import Probe

PLUGIN_SOURCES = {
    "good_probe_plugin": """
        from pulse_core import hookimpl
        from pulse_core.models import ProbeResult
        from pulse_core.probe import Probe

        class EchoProbe(Probe):
            type_name = "echo"

            async def check(self, endpoint):
                return ProbeResult.success(0.1)

        @hookimpl
        def pulse_register_probes(register):
            register(EchoProbe)
    """,
    "good_notifier_plugin": """
        from pydantic import BaseModel

        from pulse_core import hookimpl
        from pulse_core.notifier import Notifier, Receipt

        class LogOptions(BaseModel):
            path: str

        class LogNotifier(Notifier):
            type_name = "log"
            options_model = LogOptions

            async def deliver(self, notification):
                return Receipt("written")

        @hookimpl
        def pulse_register_notifiers(register):
            register(LogNotifier)
    """,
    "broken_import_plugin": """
        raise RuntimeError("this plugin is broken on purpose")
    """,
    "misspelled_hook_plugin": """
        from pulse_core import hookimpl

        @hookimpl
        def pulse_register_probe(register):  # missing the final "s"
            pass
    """,
    "wrong_arguments_plugin": """
        from pulse_core import hookimpl

        @hookimpl
        def pulse_register_probes(registrar):
            pass
    """,
    "failing_registration_plugin": """
        from pulse_core import hookimpl

        @hookimpl
        def pulse_register_probes(register):
            raise ValueError("cannot register today")
    """,
}


@pytest.fixture
def installed_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install the plugins above as real distributions with ``pulse`` entry points."""
    for module, source in PLUGIN_SOURCES.items():
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        name = module.replace("_", "-")
        dist_info = tmp_path / f"{module}-1.2.3.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n"
        )
        (dist_info / "entry_points.txt").write_text(f"[pulse]\n{name} = {module}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for module in PLUGIN_SOURCES:
        sys.modules.pop(module, None)


def loaded(environ: dict[str, str] | None = None) -> PluginHost:
    host = PluginHost(environ or {})
    host.load()
    return host


def test_a_broken_plugin_does_not_stop_the_others(installed_plugins: Path) -> None:
    host = loaded()
    assert "echo" in host.registries.probes
    assert host.registries.notifiers["log"].options_model.__name__ == "LogOptions"
    assert "this plugin is broken on purpose" in host.errors["broken-import-plugin"]


def test_a_misspelled_hook_is_reported_and_the_plugin_left_out(installed_plugins: Path) -> None:
    host = loaded()
    assert "pulse_register_probe" in host.errors["misspelled-hook-plugin"]
    assert "registrar" in host.errors["wrong-arguments-plugin"]
    info = {i.name: i for i in host.plugin_infos()}
    assert info["misspelled-hook-plugin"].hooks == ()


def test_a_failing_registration_names_its_plugin(installed_plugins: Path) -> None:
    host = loaded()
    host.registries  # noqa: B018 — building the registries runs the registration hooks
    assert "cannot register today" in host.errors["failing-registration-plugin"]
    assert "echo" in host.registries.probes


def test_allow_list_loads_only_the_named_plugins(installed_plugins: Path) -> None:
    host = loaded({"PULSE_PLUGINS": "good-probe-plugin"})
    assert [info.name for info in host.plugin_infos()] == ["good-probe-plugin"]
    assert host.errors == {}


def test_deny_list_leaves_out_the_named_plugins(installed_plugins: Path) -> None:
    host = loaded({"PULSE_DISABLE_PLUGINS": "good-probe-plugin, broken-import-plugin"})
    names = {info.name for info in host.plugin_infos()}
    assert "good-probe-plugin" not in names
    assert "broken-import-plugin" not in names
    assert "echo" not in host.registries.probes


def test_plugin_infos_show_versions_hooks_and_registrations(installed_plugins: Path) -> None:
    infos = {i.name: i for i in loaded().plugin_infos()}
    info = infos["good-probe-plugin"]
    assert info.version == "1.2.3"
    assert info.hooks == ("pulse_register_probes",)
    assert info.error is None
    assert info.registered == {"probe type": ("echo",)}
    assert infos["good-notifier-plugin"].registered == {"notifier type": ("log",)}


def test_a_second_plugin_registering_a_taken_key_is_an_error_naming_both(
    installed_plugins: Path,
) -> None:
    class EchoAgain:
        @staticmethod
        @hookimpl
        def pulse_register_probes(register: Callable[..., None]) -> None:
            register(type("OtherEcho", (Probe,), {"type_name": "echo"}))

    host = loaded({"PULSE_PLUGINS": "good-probe-plugin"})
    host.register(EchoAgain(), name="echo-again")
    assert host.registries.probes["echo"].__name__ == "EchoProbe"  # the first keeps it
    error = host.errors["echo-again"]
    assert "probe type 'echo' is registered by good-probe-plugin already" in error
    assert "echo-again registers it too" in error and "override=True" in error


def test_a_deliberate_override_replaces_the_registration(installed_plugins: Path) -> None:
    class Overriding:
        @staticmethod
        @hookimpl
        def pulse_register_probes(register: Callable[..., None]) -> None:
            register(type("SpecialEcho", (Probe,), {"type_name": "echo"}), override=True)

    host = loaded({"PULSE_PLUGINS": "good-probe-plugin"})
    host.register(Overriding(), name="special-echo")
    assert host.registries.probes["echo"].__name__ == "SpecialEcho"
    assert host.errors == {}


def command_plugin(command: str, said: str) -> object:
    """A plugin adding ``pulse COMMAND``, which prints ``said``."""

    class Commanding:
        @staticmethod
        @hookimpl
        def pulse_register_commands(register: Callable[..., None]) -> None:
            register(command, f"print {said}", lambda parser: None, lambda args: print(said) or 0)

    return Commanding()


def test_two_plugins_registering_one_command_is_an_error_naming_both(
    capsys: pytest.CaptureFixture[str],
) -> None:
    host = PluginHost({})
    host.register(command_plugin("hello", "first"), name="first-hello")
    host.register(command_plugin("hello", "second"), name="second-hello")
    assert [command.name for command in host.commands(built_in=())] == ["hello"]
    error = host.errors["second-hello"]
    assert "command 'hello' is registered by first-hello already" in error
    assert "second-hello registers it too" in error
    infos = {info.name: info for info in host.plugin_infos()}
    assert infos["first-hello"].registered == {"command": ("hello",)}
    assert build_parser(host).parse_args(["hello"]).plugin_command(None) == 0
    assert capsys.readouterr().out == "first\n"


def test_a_plugin_command_may_not_shadow_a_built_in_one() -> None:
    host = PluginHost({})
    host.register(command_plugin("check", "shadow"), name="shadowing")
    arguments = build_parser(host).parse_args(["check", "--config", "pulse.yaml"])
    assert not hasattr(arguments, "plugin_command")  # the built-in still runs
    assert "command 'check' is a built-in pulse command" in host.errors["shadowing"]


@pytest.mark.parametrize("option", ["tryfirst", "trylast", "wrapper"])
def test_an_ordering_option_pulse_does_not_honour_is_refused_at_load(option: str) -> None:
    class Ordered:
        @hookimpl(**{option: True})
        def pulse_startup(self, app: object) -> object:
            yield  # a wrapper must be a generator; the others never run either way

    host = PluginHost({})
    assert host.register(Ordered(), name="ordered") is False
    assert f"pulse_startup is marked {option}=True" in host.errors["ordered"]
    assert "does not honour" in host.errors["ordered"]


def test_plugin_infos_list_the_routes_of_registered_blueprints() -> None:
    from pulse_core.web import health

    host = PluginHost({})
    host.register(health, name="health")
    assert "GET /api/health" in host.plugin_infos()[0].registered["route"]


class SlowPlugin:
    @staticmethod
    @hookimpl
    async def pulse_startup(app: object) -> None:
        await asyncio.sleep(30)


class FailingPlugin:
    @staticmethod
    @hookimpl
    def pulse_startup(app: object) -> None:
        raise RuntimeError("startup exploded")


class RecordingPlugin:
    def __init__(self) -> None:
        self.calls: list[object] = []

    @hookimpl
    async def pulse_startup(self, app: object) -> None:
        self.calls.append(app)


async def test_event_hooks_run_concurrently_and_failures_are_contained(
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = PluginHost({})
    recording = RecordingPlugin()
    for name, plugin in [("slow", SlowPlugin), ("failing", FailingPlugin), ("recording", recording)]:
        host.register(plugin, name=name)
    caplog.set_level(logging.ERROR, logger="pulse.plugins")
    await host.notify("pulse_startup", timeout_s=0.2, app="the-app")
    assert recording.calls == ["the-app"]
    messages = caplog.text
    assert "plugin slow: pulse_startup took longer than" in messages
    assert "plugin failing: pulse_startup failed" in messages


def test_every_hook_is_documented() -> None:
    for name in hookspecs.hook_names():
        assert len(hookspecs.hook_doc(name).strip()) > 40, name


def test_every_hook_is_in_the_plugin_guide() -> None:
    guide = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text()
    for name in hookspecs.hook_names():
        assert f"`{name}(" in guide, f"{name} is missing from docs/plugins.md"
