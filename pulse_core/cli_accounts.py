"""``pulse user ...`` and ``pulse apikey ...``: accounts made on the server's own machine.

They work straight on the configured store, so they work before the web API has any
user (a first administrator for an installation set up by automation) and while ``pulse
run`` is serving: the API reads accounts from the store on every request, so a change holds
from the server's next request on. Live streams (WebSocket, SSE) the server already has
open are in its memory, which a command cannot reach: disabling a user or revoking a key
here ends them only when they reconnect (the API and the dashboard end them at once).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from pulse_core.accounts import ApiKey, User, UsernameTaken
from pulse_core.app import build_store, open_config
from pulse_core.cli_table import render_rows
from pulse_core.config.limits import RequiredName
from pulse_core.contract.access import Role
from pulse_core.store import Store
from pulse_core.web.auth.passwords import hash_password_now
from pulse_core.web.auth.provisioning import issue_api_key, password_problem, username_problem
from pulse_core.web.auth.user_changes import LastAdministrator, change_user

T = TypeVar("T")
ROLES = [role.value for role in Role]


class AccountCommandError(Exception):
    """Something the person at the terminal can fix; the message says what."""


AFTER_NOTE = (
    "Works on the store at once, so a running Pulse sees the change from its next request: "
    "sessions are gone and the credentials refused. Live streams (WebSocket, SSE) it already "
    "has open are in its memory, out of this command's reach: they end when they reconnect. "
    "The dashboard and the API end them at once."
)


def add_account_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_argument: Callable[[argparse.ArgumentParser], None],
) -> None:
    user = commands.add_parser("user", help="manage users of the web API")
    user_commands = user.add_subparsers(dest="user_command", required=True)

    def user_command(
        name: str, run: Callable[[argparse.Namespace], None], help_text: str, **extra: Any
    ) -> argparse.ArgumentParser:
        parser = user_commands.add_parser(name, help=help_text, **extra)
        config_argument(parser)
        parser.set_defaults(account_command=run)
        return parser

    create = user_command("create", create_user, "create a user")
    create.add_argument("--username", required=True)
    create.add_argument("--role", choices=ROLES, default=Role.VIEWER.value)
    create.add_argument("--email")
    _password_argument(create)
    user_command("list", list_users, "list users, active or not")
    reset = user_command(
        "reset-password", reset_password,
        "give a user a new password, ending their sessions (alias: set-password)",
        aliases=["set-password"], description=AFTER_NOTE,
    )
    _username_argument(reset)
    _password_argument(reset)
    for name, run, help_text in (
        ("disable", disable_user, "deactivate a user: their sessions end, they and their keys "
         "are refused"),
        ("enable", enable_user, "reactivate a user"),
    ):
        _username_argument(user_command(name, run, help_text, description=AFTER_NOTE))

    apikey = commands.add_parser("apikey", help="manage API keys of the web API")
    apikey_commands = apikey.add_subparsers(dest="apikey_command", required=True)
    create_key = apikey_commands.add_parser("create", help="create a key and print it, once")
    config_argument(create_key)
    create_key.add_argument(
        "--name", required=True, type=key_name, help="what the key is for, e.g. grafana"
    )
    create_key.add_argument("--role", choices=ROLES, default=Role.VIEWER.value)
    create_key.set_defaults(account_command=create_api_key)
    list_keys = apikey_commands.add_parser("list", help="list keys, never their secrets")
    config_argument(list_keys)
    list_keys.set_defaults(account_command=list_api_keys)
    revoke = apikey_commands.add_parser(
        "revoke", help="revoke a key by its name or id", description=AFTER_NOTE
    )
    config_argument(revoke)
    revoke.add_argument("key", metavar="NAME-OR-ID", help="the key's name, or its id if the "
                        "name is on several keys (see `pulse apikey list`)")
    revoke.set_defaults(account_command=revoke_api_key)


def _username_argument(parser: argparse.ArgumentParser) -> None:
    """USERNAME, or ``--username USERNAME`` as scripts written for earlier versions say."""
    parser.add_argument("username", nargs="?", metavar="USERNAME")
    parser.add_argument("--username", dest="username_option", help=argparse.SUPPRESS)


def _password_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )


def run_account_command(args: argparse.Namespace) -> int:
    if hasattr(args, "username_option"):
        args.username = args.username or args.username_option
        if args.username is None:
            print("error: name the user: pulse user ... USERNAME", file=sys.stderr)
            return 2  # as for a missing argument
    try:
        args.account_command(args)
    except (AccountCommandError, UsernameTaken, LastAdministrator) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _with_store(args: argparse.Namespace, work: Callable[[Store], Awaitable[T]]) -> T:
    plugins = args.plugins
    config = open_config(args.config, plugins)
    assert config.storage.url is not None  # the loader fills in the default
    store = build_store(config.storage.url, plugins)

    async def run() -> T:
        try:
            await store.open()
        except ConnectionError as error:
            raise AccountCommandError(store_problem(error, config.storage.url or "")) from error
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

    _with_store(args, work)
    print(f"created {args.role} {args.username}")


async def _user_named(store: Store, username: str) -> User:
    user = await store.user_by_username(username)
    if user is None:
        raise AccountCommandError(
            f"there is no user {username!r}: `pulse user list` shows the usernames"
        )
    return user


def reset_password(args: argparse.Namespace) -> None:
    password_hash = hash_password_now(_read_password(args.password_stdin))

    async def work(store: Store) -> None:
        user = await _user_named(store, args.username)
        await change_user(store, user.id, password_hash=password_hash)

    _with_store(args, work)
    print(f"new password set for {args.username}; their sessions have ended")


def _set_active(args: argparse.Namespace, active: bool) -> None:
    async def work(store: Store) -> None:
        user = await _user_named(store, args.username)
        await change_user(store, user.id, active=active)

    _with_store(args, work)


def disable_user(args: argparse.Namespace) -> None:
    _set_active(args, False)
    print(
        f"{args.username} is disabled: their sessions have ended, and they and their API keys "
        "are refused from the server's next request on; streams already open end when they "
        "reconnect"
    )


def enable_user(args: argparse.Namespace) -> None:
    _set_active(args, True)
    print(f"{args.username} is enabled: they can sign in again, and their API keys work again")


def list_users(args: argparse.Namespace) -> None:
    users = _with_store(args, lambda store: store.users())
    print(render_rows(
        ("ID", "USERNAME", "ROLE", "ACTIVE", "EMAIL", "CREATED"),
        [
            (user.id, user.username, user.role, "yes" if user.active else "no",
             user.email or "-", _when(user.created_ts))
            for user in users
        ],
    ))


_KEY_NAME: TypeAdapter[str] = TypeAdapter(RequiredName)


def key_name(text: str) -> str:
    """A key's name as the API takes it: one line, no control characters (it is logged and
    recorded as the actor of what the key does)."""
    try:
        return _KEY_NAME.validate_python(text)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(error.errors()[0]["msg"]) from None


def create_api_key(args: argparse.Namespace) -> None:
    async def work(store: Store) -> str:
        _, key = await issue_api_key(store, args.name, Role(args.role), None)
        return key

    key = _with_store(args, work)
    print(key)
    print(
        f"{args.role} key {args.name!r} created; it is shown only now: keep it somewhere safe",
        file=sys.stderr,
    )


def list_api_keys(args: argparse.Namespace) -> None:
    async def work(store: Store) -> tuple[list[ApiKey], dict[int, str]]:
        return await store.api_keys(), {user.id: user.username for user in await store.users()}

    keys, usernames = _with_store(args, work)
    print(render_rows(
        ("ID", "NAME", "ROLE", "OWNER", "PREFIX", "CREATED", "LAST USED"),
        [
            (key.id, key.name, key.role, _owner(key, usernames), key.prefix,
             _when(key.created_ts), "never" if key.last_used_ts is None else _when(key.last_used_ts))
            for key in keys
        ],
    ))


def _owner(key: ApiKey, usernames: dict[int, str]) -> str:
    if key.user_id is None:
        return "(command line)"
    return usernames.get(key.user_id, f"user {key.user_id}")


def revoke_api_key(args: argparse.Namespace) -> None:
    async def work(store: Store) -> ApiKey:
        wanted = args.key
        matches = [key for key in await store.api_keys() if wanted in (key.name, str(key.id))]
        if not matches:
            raise AccountCommandError(
                f"no API key is named or numbered {wanted!r}: `pulse apikey list` shows them"
            )
        if len(matches) > 1:
            ids = ", ".join(str(key.id) for key in matches)
            raise AccountCommandError(
                f"{wanted!r} names several API keys (ids {ids}): give the id of the one to "
                "revoke; nothing was revoked"
            )
        await store.delete_api_key(matches[0].id)
        return matches[0]

    revoked = _with_store(args, work)
    print(
        f"API key {revoked.name!r} (id {revoked.id}) is revoked: the server refuses it from "
        "its next request on; streams already open with it end when they reconnect"
    )


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def store_problem(error: ConnectionError, storage_url: str) -> str:
    """Why the store would not open, with the fix: for SQLite, most often files a process
    running as another user (``pulse run`` as a service, or as root) left beside it."""
    parts = urlsplit(storage_url)
    if not parts.scheme.startswith("sqlite") or not parts.path:
        return f"{error}: check storage.url in the configuration and that the database runs"
    database = Path(parts.path[1:])
    return (
        f"{error}. The user running this command must be able to write the SQLite file "
        f"{database}, its directory, and the {database.name}-wal and {database.name}-shm files "
        "beside it (left there by a Pulse that ran or runs as another user, or that was "
        "killed): run this command as the user Pulse runs as, or give that user the files "
        f"(chown). Never delete {database.name}-wal: it holds the latest writes"
    )
