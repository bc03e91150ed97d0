"""pytest fixtures for Pulse and its plugins, loaded by pytest through the ``pytest11`` entry
point of pulse-core (so a plugin's tests use them with no import).

pytest loads this module in every project where pulse-core is installed, also where
pytest-asyncio (a test extra of pulse-core) is not: so it must import without it. Async
fixtures are then registered as fixtures that fail with the fix, only in the tests that use
them, and every other test runs as usual.
"""

from __future__ import annotations

import importlib.util
from typing import Any, AsyncIterator, Callable

import pytest

from pulse_core.testing.listeners import TcpListener

#: what a test that asks for an async fixture is told when pytest-asyncio is missing
MISSING_ASYNCIO = (
    "the fixture {name!r} of pulse_core.testing is async and needs pytest-asyncio: "
    "pip install pytest-asyncio (or pulse-core[test])"
)


def async_fixture(function: Callable[..., Any]) -> Any:
    """``function`` as a pytest-asyncio fixture, or, without pytest-asyncio, a fixture of the
    same name that fails the test using it with :data:`MISSING_ASYNCIO`."""
    if importlib.util.find_spec("pytest_asyncio") is not None:
        import pytest_asyncio

        return pytest_asyncio.fixture(function)
    message = MISSING_ASYNCIO.format(name=function.__name__)

    def missing() -> None:
        pytest.fail(message, pytrace=False)

    missing.__doc__ = function.__doc__
    return pytest.fixture(name=function.__name__)(missing)


@async_fixture
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
