"""``pulse user ...`` and ``pulse apikey ...``: accounts made on the server's own machine.

They write straight into the configured store, so they work before the web API has any
user (a first administrator for an installation set up by automation) and while ``pulse
run`` is serving (the API reads accounts from the store on every request).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from pulse_core.accounts import UsernameTaken
from pulse_core.app import build_store, load_plugins, open_config
from pulse_core.store import Store
from pulse_core.web.access import Role
from pulse_core.web.auth.passwords import hash_password_now
from pulse_core.web.auth.provisioning import issue_api_key, password_problem, username_problem

T = TypeVar("T")
ROLES = [role.value for role in Role]


class AccountCommandError(Exception):
    """Something the person at the terminal can fix; the message says what."""


def add_account_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_argument: Callable[[argparse.ArgumentParser], None],
) -> None:
    user = commands.add_parser("user", help="manage users of the web API")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    for name, run, help_text in (
        ("create", create_user, "create a user"),
        ("set-password", set_password, "give a user a new password, ending their sessions"),
    ):
        parser = user_commands.add_parser(name, help=help_text)
        config_argument(parser)
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )
        parser.set_defaults(account_command=run)
        if name == "create":
            parser.add_argument("--role", choices=ROLES, default=Role.VIEWER.value)
            parser.add_argument("--email")

    apikey = commands.add_parser("apikey", help="manage API keys of the web API")
    apikey_commands = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_commands.add_parser("create", help="create a key and print it, once")
    config_argument(create)
    create.add_argument("--name", required=True, help="what the key is for, e.g. grafana")
    create.add_argument("--role", choices=ROLES, default=Role.VIEWER.value)
    create.set_defaults(account_command=create_api_key)


def run_account_command(args: argparse.Namespace) -> int:
    try:
        args.account_command(args)
    except (AccountCommandError, UsernameTaken) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _with_store(config_path: Path, work: Callable[[Store], Awaitable[T]]) -> T:
    plugins = load_plugins()
    config = open_config(config_path, plugins)
    assert config.storage.url is not None  # the loader fills in the default
    store = build_store(config.storage.url, plugins)

    async def run() -> T:
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise AccountCommandError("the passwords differ; nothing changed")
    else:
        raise AccountCommandError(
            "no terminal to ask for the password: pass --password-stdin and pipe it in"
        )
    problem = password_problem(password)
    if problem is not None:
        raise AccountCommandError(problem)
    return password


def create_user(args: argparse.Namespace) -> None:
    problem = username_problem(args.username)
    if problem is not None:
        raise AccountCommandError(problem)
    password_hash = hash_password_now(_read_password(args.password_stdin))

    async def work(store: Store) -> None:
        await store.add_user(args.username, args.email, args.role, password_hash, time.time())

    _with_store(args.config, work)
    print(f"created {args.role} {args.username}")


def set_password(args: argparse.Namespace) -> None:
    password_hash = hash_password_now(_read_password(args.password_stdin))

    async def work(store: Store) -> None:
        user = await store.user_by_username(args.username)
        if user is None:
            raise AccountCommandError(f"there is no user {args.username!r}")
        await store.update_user(user.id, password_hash=password_hash, end_sessions=True)

    _with_store(args.config, work)
    print(f"new password set for {args.username}; their sessions have ended")


def create_api_key(args: argparse.Namespace) -> None:
    async def work(store: Store) -> str:
        _, key = await issue_api_key(store, args.name, Role(args.role), None)
        return key

    key = _with_store(args.config, work)
    print(key)
    print(
        f"{args.role} key {args.name!r} created; it is shown only now: keep it somewhere safe",
        file=sys.stderr,
    )
