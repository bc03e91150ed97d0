"""EtherNet/IP devices on loopback for the enip probe's tests: cpppo's simulator, a real
EtherNet/IP server, run as a process with the identity the tests expect."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulse_core.testing.listeners import TcpListener

sys.path.insert(0, str(Path(__file__).parent))  # the device module, with --import-mode=importlib

from enip_devices import SimulatedDevice  # noqa: E402


@pytest.fixture(scope="module")
def shared_device(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedDevice]:
    """A device that tests only ask, shared by a module's tests."""
    device = SimulatedDevice(tmp_path_factory.mktemp("enip"))
    device.start()
    yield device
    device.stop()


@pytest.fixture
def device(tmp_path: Path) -> Iterator[SimulatedDevice]:
    """A device of the test's own, for tests that stop it."""
    device = SimulatedDevice(tmp_path)
    device.start()
    yield device
    device.stop()


@pytest.fixture
def silent_device(tcp_listener: TcpListener) -> TcpListener:
    """Accepts connections and never answers, as a hung device does."""
    tcp_listener.holding = True
    return tcp_listener
