"""One running Pulse per SQLite database: another process is refused, this one never."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulse_core.contract import StoreInUse
from pulse_store_sql import SqlStore

#: a second process: claims the store, says so, and holds it until its stdin closes
HOLDER = """
import asyncio, sys
from pulse_store_sql import SqlStore

async def main():
    store = SqlStore(sys.argv[1])
    await store.open()
    await store.claim_exclusive_use()
    print("claimed", flush=True)
    await asyncio.to_thread(sys.stdin.read)
    await store.close()

asyncio.run(main())
"""

#: a second process: tries to claim the store and prints what it was told
CLAIMER = """
import asyncio, sys
from pulse_store_sql import SqlStore
from pulse_core.contract import StoreInUse

async def main():
    store = SqlStore(sys.argv[1])
    await store.open()
    try:
        await store.claim_exclusive_use()
        print("claimed")
    except StoreInUse as refusal:
        print(refusal)
    await store.close()

asyncio.run(main())
"""


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pulse.db'}"


@pytest.fixture
def holder(url: str) -> Iterator[subprocess.Popen[str]]:
    """Another process that holds the store."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "claimed\n"
        yield process
    finally:
        process.kill()
        process.wait()


async def claimed(url: str) -> SqlStore:
    store = SqlStore(url)
    await store.open()
    await store.claim_exclusive_use()
    return store


async def test_another_process_is_refused_with_the_fix(
    url: str, tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    store = SqlStore(url)
    await store.open()
    try:
        with pytest.raises(StoreInUse) as refusal:
            await store.claim_exclusive_use()
    finally:
        await store.close()
    message = str(refusal.value)
    assert str(tmp_path / "pulse.db.lock") in message
    assert f"pid {holder.pid}" in message
    assert "stop the other Pulse, or use a postgresql:// store" in message


async def test_the_store_is_free_once_the_other_process_stops(
    url: str, holder: subprocess.Popen[str]
) -> None:
    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.wait() == 0
    assert await other_process_claims(url) == "claimed"


async def test_a_killed_holder_leaves_the_store_free(
    url: str, holder: subprocess.Popen[str]
) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert await other_process_claims(url) == "claimed"


async def test_this_process_may_open_its_store_again(url: str) -> None:
    """``pulse run`` holds the store; opening it again in the same process (a second claim
    that ends first) keeps the claim of the first."""
    first = await claimed(url)
    try:
        second = await claimed(url)
        await second.close()
        assert await other_process_claims(url) != "claimed"
    finally:
        await first.close()
    assert await other_process_claims(url) == "claimed"


async def test_commands_that_do_not_claim_are_not_refused(
    url: str, holder: subprocess.Popen[str]
) -> None:
    store = SqlStore(url)  # as ``pulse user`` opens it
    await store.open()
    try:
        await store.add_setting_if_absent("k", "v")
        assert await store.setting("k") == "v"
    finally:
        await store.close()


async def test_a_postgresql_store_is_shared_by_coordinating_nodes(postgresql_url: str) -> None:
    first, second = await claimed(postgresql_url), await claimed(postgresql_url)
    try:
        assert first.coordination() is not None and second.coordination() is not None
    finally:
        await second.close()
        await first.close()


async def other_process_claims(url: str) -> str:
    """What another process is told when it claims the store: ``claimed`` or the refusal."""
    finished = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", CLAIMER, url],
        capture_output=True, text=True, check=True,
    )
    return finished.stdout.strip()
