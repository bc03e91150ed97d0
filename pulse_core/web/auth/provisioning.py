"""Making accounts, shared by the routes, the command line and the test kit: the rules a
username and a password follow, and issuing an API key."""

from __future__ import annotations

import functools
import gzip
import re
import time
from importlib import resources

from pulse_core.accounts import ApiKey
from pulse_core.contract.access import Role
from pulse_core.store import Store
from pulse_core.web.auth.keys import new_api_key

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def username_problem(username: str) -> str | None:
    if USERNAME_PATTERN.fullmatch(username) is None:
        return (
            "a username has 1 to 64 letters, digits, '.', '_', '@' or '-', "
            "and starts with a letter or digit"
        )
    return None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password is too long: use at most {MAX_PASSWORD_LENGTH} characters"
    if password.strip().lower() in common_passwords():
        return (
            "the password is one of the 20,000 most common passwords, which are tried first "
            "when an account is attacked: choose another"
        )
    return None


@functools.cache
def common_passwords() -> frozenset[str]:
    """The passwords attackers try first (lowercased); read when an account is first made
    or changed, not at start-up, so a monitor that never does so never holds them."""
    data = resources.files(__package__).joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().splitlines())


async def issue_api_key(
    store: Store, name: str, role: Role, user_id: int | None
) -> tuple[ApiKey, str]:
    """Keep a new key; returns it with its secret, which exists nowhere else afterwards."""
    issued = new_api_key()
    stored = await store.add_api_key(
        name, role.value, issued.prefix, issued.key_hash, user_id, time.time()
    )
    return stored, issued.key
