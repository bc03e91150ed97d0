"""pytest fixtures for Pulse and its plugins, loaded by pytest through the ``pytest11`` entry
point of pulse-core (so a plugin's tests use them with no import)."""

from __future__ import annotations

from typing import AsyncIterator

import pytest
import pytest_asyncio

from pulse_core.testing.listeners import TcpListener


@pytest_asyncio.fixture
async def tcp_listener() -> AsyncIterator[TcpListener]:
    """A started TCP listener on a free loopback port; ``await tcp_listener.stop()`` takes it
    down (connections refused), ``start()`` brings it back on the same port."""
    listener = TcpListener()
    await listener.start()
    yield listener
    await listener.stop()


@pytest.fixture
def pulse_environ(tmp_path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An environment where Pulse keeps its data under the test's temporary directory."""
    monkeypatch.setenv("PULSE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path
