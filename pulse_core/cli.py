"""The ``pulse`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

from pulse_core.alerting.destinations import refused_destinations
from pulse_core.alerting.dialect_hints import missing_dialects
from pulse_core.app import StoreNotFound, load_plugins, open_config
from pulse_core.cli_accounts import add_account_commands, run_account_command
from pulse_core.cli_notify import add_notify_command, cmd_notify
from pulse_core.cli_plugin_commands import add_plugin_commands
from pulse_core.cli_tls import add_tls_command, cmd_tls
from pulse_core.cli_once import probe_all, render_table
from pulse_core.cli_run import add_listener_arguments, cmd_run
from pulse_core.config import ConfigError
from pulse_core.config.first_run import NoConfiguration, config_for_reading, config_for_run
from pulse_core.config.model import PulseConfig
from pulse_core.plugins import PluginHost

def _config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        default=os.environ.get("PULSE_CONFIG"),
        help="the YAML configuration file (default: $PULSE_CONFIG, else pulse.yaml in the "
        "data directory, which the first `pulse run` makes from the sample configuration)",
    )


def build_parser(host: PluginHost | None = None) -> argparse.ArgumentParser:
    """The built-in commands, then those of the plugins of ``host``."""
    parser = argparse.ArgumentParser(prog="pulse", description="Network availability monitor")
    parser.add_argument("--log-level", default=os.environ.get("PULSE_LOG_LEVEL", "INFO"))
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="monitor until stopped (SIGINT/SIGTERM)")
    _config_argument(run)
    add_listener_arguments(run)

    check = commands.add_parser("check", help="validate the configuration and list endpoints")
    _config_argument(check)

    once = commands.add_parser("once", help="check every endpoint once and print the results")
    _config_argument(once)
    once.add_argument("--json", action="store_true", help="print JSON instead of a table")

    plugins = commands.add_parser("plugins", help="list plugins, their hooks and load errors")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")

    add_account_commands(commands, _config_argument)
    add_notify_command(commands, _config_argument)
    add_tls_command(commands)
    if host is not None:
        add_plugin_commands(commands, host)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _command(argv)
        sys.stdout.flush()  # where buffered output meets a reader that has gone
        return code
    except BrokenPipeError:
        # The reader of the output stopped reading (``pulse plugins | head``): end quietly,
        # with what the shell reports for a program SIGPIPE ends, and keep the interpreter's
        # own flush of stdout at exit from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def _command(argv: Sequence[str] | None) -> int:
    logging.basicConfig(  # before the plugins load, so their errors are logged as others
        level=os.environ.get("PULSE_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    plugins = load_plugins()
    args = build_parser(plugins).parse_args(argv)
    args.plugins = plugins  # loaded once: every command works with this host
    logging.getLogger().setLevel(args.log_level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    handler = {
        "check": cmd_check,
        "once": cmd_once,
        "plugins": cmd_plugins,
        "user": run_account_command,
        "apikey": run_account_command,
        "notify": cmd_notify,
        "tls": cmd_tls,
    }
    try:
        if args.command == "run":
            args.config, made_from_sample = config_for_run(args.config, os.environ)
            return cmd_run(args, made_from_sample)
        if hasattr(args, "config"):
            args.config = config_for_reading(args.config, os.environ)
        run = getattr(args, "plugin_command", None) or handler[args.command]
        return run(args)
    except NoConfiguration as error:
        print(f"error: {error}", file=sys.stderr)
        return 2  # as for a missing argument
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    except StoreNotFound as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def cmd_check(args: argparse.Namespace) -> int:
    config = open_config(args.config, args.plugins)
    print(describe_endpoints(config))
    if config.dependencies:
        print(describe_dependencies(config))
    warnings = asyncio.run(refused_destinations(config))
    warnings += missing_dialects(config, args.plugins.registries.webhook_dialects)
    for warning in warnings:
        print(f"{args.config}: warning: {warning}", file=sys.stderr)
    return 0


def describe_endpoints(config: PulseConfig) -> str:
    lines = []
    for group in sorted(config.groups, key=lambda g: (g.sort_order, g.id)):
        members = [ep for ep in config.endpoints if ep.group_id == group.id]
        lines.append(f"{group.name} ({group.id}): {len(members)} endpoint(s)")
        for endpoint in members:
            disabled = "  [disabled]" if not endpoint.enabled else ""
            lines.append(
                f"  {endpoint.type:<5} {endpoint.name:<40} {endpoint.address:<30} "
                f"every {endpoint.interval_s:g} s{disabled}"
            )
    total = len(config.endpoints)
    lines.append(f"configuration OK: {total} endpoint(s) in {len(config.groups)} group(s)")
    return "\n".join(lines)


def describe_dependencies(config: PulseConfig) -> str:
    """The dependency tree of ``depends_on`` (docs/topology.md): each endpoint nothing is
    above, with those behind it indented; one behind several parents shows under each, its
    ``any`` mode marked."""
    dependencies = config.dependencies
    names = {endpoint.id: endpoint.name for endpoint in config.endpoints}
    order = {endpoint_id: position for position, endpoint_id in enumerate(names)}
    lines = [f"dependencies: {len(dependencies.parents)} endpoint(s) depend on others"]

    def branch(endpoint_id: str, depth: int, above: frozenset[str]) -> None:
        mode = "  [any]" if dependencies.mode_of(endpoint_id) == "any" and depth else ""
        lines.append(f"{'  ' * depth}  {names[endpoint_id]}{mode}")
        for child in sorted(dependencies.children.get(endpoint_id, ()), key=order.__getitem__):
            if child not in above:  # cycles are refused when loading; never loop anyway
                branch(child, depth + 1, above | {child})

    for root in (eid for eid in names if eid in dependencies.children):
        if root not in dependencies.parents:
            branch(root, 0, frozenset({root}))
    return "\n".join(lines)


#: ``pulse once`` exit statuses, as ``ping`` and ``fping`` have them, so a script can tell a
#: site with a device down from a configuration it could not read.
ONCE_ALL_UP, ONCE_SOME_DOWN, ONCE_BAD_CONFIG = 0, 1, 2


def cmd_once(args: argparse.Namespace) -> int:
    plugins = args.plugins
    try:
        config = open_config(args.config, plugins)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return ONCE_BAD_CONFIG
    rows = asyncio.run(probe_all(config, plugins.registries.probes, show_progress=not args.json))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(render_table(rows))
    return ONCE_SOME_DOWN if any(row["status"] != "up" for row in rows) else ONCE_ALL_UP


def cmd_plugins(args: argparse.Namespace) -> int:
    infos = args.plugins.plugin_infos()
    if args.json:
        print(json.dumps([asdict(info) for info in infos], indent=2))
        return 0
    for info in infos:
        print(f"{info.name} {info.version or '(built-in)'}")
        if info.hooks:
            print(f"  hooks: {', '.join(info.hooks)}")
        for kind, keys in info.registered.items():
            print(f"  {kind}: {', '.join(keys)}")
        if info.error:
            print(f"  ERROR: {info.error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
