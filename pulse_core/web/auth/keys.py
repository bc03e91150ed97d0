"""API keys: ``pulse_<prefix>_<secret>``, 256 random bits behind a short public prefix.

The store keeps the prefix in the clear (it finds the key without comparing every hash) and
the SHA-256 of the whole key. A plain fast hash is right here, unlike for passwords: the key
is random and long, so there is nothing to guess, and every API request checks one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

KEY_MARK = "pulse"
PREFIX_HEX_CHARS = 12


@dataclass(frozen=True, slots=True)
class NewApiKey:
    key: str
    prefix: str
    key_hash: str


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> NewApiKey:
    prefix = secrets.token_hex(PREFIX_HEX_CHARS // 2)
    key = f"{KEY_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(key, prefix, key_hash(key))


def prefix_of(key: str) -> str | None:
    """The prefix of something shaped like a key, else ``None``."""
    mark, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if mark != KEY_MARK or len(prefix) != PREFIX_HEX_CHARS or not secret:
        return None
    return prefix
