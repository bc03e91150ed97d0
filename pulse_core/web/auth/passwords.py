"""Password hashes: scrypt from the standard library, memory-hard, so a stolen database does
not give its passwords away to a graphics card.

A hash names its parameters (``scrypt$n$r$p$salt$key``, base64 without padding), so they can
be raised later without breaking older hashes. Hashing takes about 0.15 s and 32 MiB; it runs
in a thread, a few at a time, so a burst of sign-ins neither blocks the event loop nor takes
the memory of the host.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
KEY_BYTES = 32
SALT_BYTES = 16
#: Hashes computed at once; each holds 128 * n * r bytes.
CONCURRENT_HASHES = 4


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r * p, dklen=KEY_BYTES
    )


def hash_password_now(password: str) -> str:
    """The hash of ``password`` with a fresh salt (blocking; see :class:`PasswordHasher`)."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def password_matches_now(password: str, stored_hash: str) -> bool:
    """Whether ``password`` gives ``stored_hash`` (blocking); a malformed hash never matches."""
    try:
        scheme, n, r, p, salt, key = stored_hash.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
        return hmac.compare_digest(computed, _unb64(key))
    except ValueError:
        return False


class PasswordHasher:
    """Hashes and checks passwords in threads, at most ``CONCURRENT_HASHES`` at a time."""

    def __init__(self) -> None:
        self._slots = asyncio.Semaphore(CONCURRENT_HASHES)
        self._decoy: str | None = None

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(hash_password_now, password)

    async def matches(self, password: str, stored_hash: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(password_matches_now, password, stored_hash)

    async def check_against_nobody(self, password: str) -> None:
        """Spend what checking a password costs, so an unknown username answers as slowly
        as a known one."""
        if self._decoy is None:
            self._decoy = await self.hash(secrets.token_urlsafe())
        await self.matches(password, self._decoy)


class RecentMatches:
    """Passwords that matched a user's current hash lately, so HTTP Basic, which sends them
    with every request, costs one scrypt per client rather than one per request.

    Entries are keyed by a keyed hash of the password (the key lives in this process only)
    and hold the password hash they matched: once the password changes, the entry no longer
    matches the user's hash and the next request pays for a fresh check.
    """

    def __init__(self, size: int = 256) -> None:
        self._secret = secrets.token_bytes(32)
        self._size = size
        self._matches: dict[tuple[int, bytes], str] = {}

    def _key(self, user_id: int, password: str) -> tuple[int, bytes]:
        return user_id, hmac.digest(self._secret, password.encode(), "sha256")

    def seen(self, user_id: int, password: str, stored_hash: str) -> bool:
        kept = self._matches.get(self._key(user_id, password))
        return kept is not None and hmac.compare_digest(kept, stored_hash)

    def remember(self, user_id: int, password: str, stored_hash: str) -> None:
        if len(self._matches) >= self._size:
            del self._matches[next(iter(self._matches))]  # the oldest entry
        self._matches[self._key(user_id, password)] = stored_hash
