"""Telling open connections that the credentials they were opened with stopped holding.

A request is checked once, when it arrives; a live stream (WebSocket, SSE) stays open long
after. So whoever ends a credential — revoking an API key, deactivating a user, a new
password, signing out — announces it here, and every stream that relies on it ends at once.
Nothing polls.

A connection relies on several credentials at a time (``Caller.credentials``): a session's
stream on the session, the user's password and the user; a key's stream on the key and on
its owner. Announcements are in-process: every node of a cluster would need to hear them, and
this class is the one place that would pass them on.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Literal, NamedTuple

CredentialKind = Literal["apikey", "session", "password", "user"]


class Credential(NamedTuple):
    """``user``: everything the user signs in with or owns (ends with deactivation);
    ``password``: the user's sign-ins with the password, sessions and HTTP Basic (ends with a
    new password); ``session``: one signed-in browser; ``apikey``: one key."""

    kind: CredentialKind
    id: int | str


class Revocations:
    """Watchers of credentials, each an :class:`asyncio.Event` set when one of them ends."""

    def __init__(self) -> None:
        self._watchers: defaultdict[Credential, set[asyncio.Event]] = defaultdict(set)

    @contextmanager
    def watch(self, credentials: Iterable[Credential]) -> Iterator[asyncio.Event]:
        """An event set as soon as any of ``credentials`` is revoked, while in the block."""
        revoked = asyncio.Event()
        watched = frozenset(credentials)
        for credential in watched:
            self._watchers[credential].add(revoked)
        try:
            yield revoked
        finally:
            for credential in watched:
                watchers = self._watchers[credential]
                watchers.discard(revoked)
                if not watchers:
                    del self._watchers[credential]

    def revoke(self, *credentials: Credential) -> None:
        for credential in credentials:
            for revoked in self._watchers.get(credential, ()):
                revoked.set()
