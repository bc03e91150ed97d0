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

from pulse_core.alerting.setup import alerting_setup
from pulse_core.alerting.variables import test_variables
from pulse_core.installation import Installation
from pulse_core.notifier import DeliveryError, Notification


def add_notify_command(commands: Any, config_argument: Any) -> None:
    """Add ``notify test NAME`` to the ``pulse`` command's subparsers."""
    notify = commands.add_parser("notify", help="work with notifiers")
    actions = notify.add_subparsers(dest="notify_action", required=True)
    test = actions.add_parser("test", help="send a test message through one notifier")
    test.add_argument("name", help="the notifier's name in the configuration")
    config_argument(test)


def cmd_notify(args: argparse.Namespace) -> int:
    installed = Installation(args.plugins)
    config = installed.read_config(args.config)
    notification = Notification(uuid.uuid4().hex, "test", test_variables(args.name, time.time()))
    try:
        receipt = asyncio.run(installed.deliver_once(config, args.name, notification))
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except DeliveryError as error:
        kind = "permanent" if error.permanent else "temporary"
        print(f"{args.name}: not delivered ({kind}): {error}", file=sys.stderr)
        return 1
    except TimeoutError:
        timeout = alerting_setup(config).settings.delivery_timeout
        print(f"{args.name}: no answer within {timeout:g} s", file=sys.stderr)
        return 1
    reference = f" (reference {receipt.reference})" if receipt.reference else ""
    print(f"{args.name}: {receipt.detail}{reference}")
    return 0
