"""``pulse notify test NAME``: send a test message through one notifier, print the answer.

It builds only that notifier from the configuration (no store, no monitor), so it can be
run next to a running Pulse to check a URL, a token or the outbound rules.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from typing import Any

from pulse_core.alerting.setup import alerting_setup, make_notifier
from pulse_core.alerting.variables import test_variables
from pulse_core.app import open_config
from pulse_core.notifier import DeliveryError, Notification, Receipt


def add_notify_command(commands: Any, config_argument: Any) -> None:
    """Add ``notify test NAME`` to the ``pulse`` command's subparsers."""
    notify = commands.add_parser("notify", help="work with notifiers")
    actions = notify.add_subparsers(dest="notify_action", required=True)
    test = actions.add_parser("test", help="send a test message through one notifier")
    test.add_argument("name", help="the notifier's name in the configuration")
    config_argument(test)


def cmd_notify(args: argparse.Namespace) -> int:
    plugins = args.plugins
    config = open_config(args.config, plugins)
    setup = alerting_setup(config)
    entry = next((entry for entry in setup.entries if entry.name == args.name), None)
    if entry is None:
        known = ", ".join(setup.names) or "none"
        print(
            f"error: no notifier is called '{args.name}' (configured: {known})",
            file=sys.stderr,
        )
        return 2
    notifier = make_notifier(entry, plugins.registries.notifiers, setup.outbound)
    try:
        receipt = asyncio.run(_send(notifier, setup.settings.delivery_timeout))
    except DeliveryError as error:
        kind = "permanent" if error.permanent else "temporary"
        print(f"{args.name}: not delivered ({kind}): {error}", file=sys.stderr)
        return 1
    except TimeoutError:
        print(
            f"{args.name}: no answer within {setup.settings.delivery_timeout:g} s",
            file=sys.stderr,
        )
        return 1
    reference = f" (reference {receipt.reference})" if receipt.reference else ""
    print(f"{args.name}: {receipt.detail}{reference}")
    return 0


async def _send(notifier: Any, timeout_s: float) -> Receipt:
    await notifier.start()
    try:
        notification = Notification(
            uuid.uuid4().hex, "test", test_variables(notifier.name, time.time())
        )
        async with asyncio.timeout(timeout_s):
            receipt: Receipt = await notifier.deliver(notification)
            return receipt
    finally:
        await notifier.close()
