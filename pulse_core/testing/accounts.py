"""Users and API keys for tests of routes that check roles.

``running_pulse`` signs its clients in with an administrator's key; a test of what a viewer
or an editor may do makes one here, straight in the store, then calls with its credentials::

    headers = await key_headers(server, Role.VIEWER)
    await add_user(server, "olga", Role.EDITOR, "correct horse")   # for HTTP Basic or login
"""

from __future__ import annotations

import time

from pulse_core.accounts import User
from pulse_core.contract.access import Role
from pulse_core.testing.server import RunningPulse
from pulse_core.web.auth.passwords import hash_password_now
from pulse_core.web.auth.provisioning import issue_api_key


async def add_user(server: RunningPulse, username: str, role: Role, password: str) -> User:
    return await server.pulse.store.add_user(
        username, None, role.value, hash_password_now(password), time.time()
    )


async def key_headers(
    server: RunningPulse, role: Role, owner: User | None = None
) -> dict[str, str]:
    """``Authorization`` for a new key with ``role`` (of ``owner``, or made on the CLI)."""
    _, key = await issue_api_key(
        server.pulse.store, f"test {role} key", role, None if owner is None else owner.id
    )
    return {"Authorization": f"Bearer {key}"}
