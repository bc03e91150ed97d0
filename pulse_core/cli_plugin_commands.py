"""The subcommands plugins add to ``pulse`` (``pulse_register_commands``)."""

from __future__ import annotations

import argparse
from typing import Any

from pulse_core.installation import Installation
from pulse_core.plugins import PluginHost


def add_plugin_commands(commands: argparse._SubParsersAction[Any], plugins: PluginHost) -> None:
    """Add each plugin's command after the built-in ones already in ``commands``; its ``run``
    is kept in ``args.plugin_command`` for ``main`` to call, and ``args.pulse`` is Pulse as
    installed (:class:`pulse_core.contract.InstalledPulse`), all the command knows of it."""
    installed = Installation(plugins)
    for command in plugins.commands(built_in=set(commands.choices)):
        parser = commands.add_parser(command.name, help=command.help)
        command.add_arguments(parser)
        parser.set_defaults(plugin_command=command.run, pulse=installed)
