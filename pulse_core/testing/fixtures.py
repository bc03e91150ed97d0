"""pytest fixtures for Pulse and its plugins, loaded by pytest through the ``pytest11`` entry
point of pulse-core (so a plugin's tests use them with no import).

pytest loads this module in every project where pulse-core is installed, also where
pytest-asyncio (a test extra of pulse-core) is not: so it must import without it. Async
fixtures are then registered as fixtures that fail with the fix, only in the tests that use
them, and every other test runs as usual.
"""

from __future__ import annotations

import importlib.util
from typing import Any, AsyncIterator, Callable, Iterator

import pytest

from pulse_core.testing import disks
from pulse_core.testing.listeners import TcpListener, UdpEcho
from pulse_core.testing.receivers import Receiver

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


@async_fixture
async def udp_echo() -> AsyncIterator[UdpEcho]:
    """A started UDP echo server on a free loopback port; ``answering = False`` makes it
    drop requests (timeouts), ``await udp_echo.stop()`` unbinds it (port unreachable)."""
    echo = UdpEcho()
    await echo.start()
    yield echo
    await echo.stop()


@pytest.fixture
def http_server() -> Iterator[Receiver]:
    """A started HTTP server on a free loopback port (``http_server.url``) that answers 200
    and records every request; ``script(Reply(...))`` sets its next answers, ``delay_s`` makes
    it slow, ``stop()`` and ``start()`` take it away and back on the same port."""
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def pulse_environ(tmp_path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An environment where Pulse keeps its data under the test's temporary directory."""
    monkeypatch.setenv("PULSE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A 4 MiB tmpfs of the test's own (a ``Path``) that :func:`pulse_core.testing.disks.fill`
    fills up; the test is skipped where mounting is not allowed (it needs root)."""
    try:
        with disks.small_disk(tmp_path / "disk") as mounted:
            yield mounted
    except disks.CannotMount as error:
        pytest.skip(str(error))
