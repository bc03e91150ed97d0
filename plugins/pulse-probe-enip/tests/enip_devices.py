"""cpppo's EtherNet/IP simulator as a device with a known identity on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from pulse_core.testing.listeners import free_tcp_port

PRODUCT_NAME = "Line 1 Drive 7"
SERIAL_NUMBER = 0x12345678
VENDOR_ID = 1
DEVICE_TYPE = 14
PRODUCT_CODE = 54
REVISION = (20, 11)
START_TIMEOUT_S = 30.0


class SimulatedDevice:
    """``python -m cpppo.server.enip`` with an ``[Identity]`` section in its configuration;
    ``stop()`` ends the process (connections refused), ``start()`` runs it again on the same
    port."""

    def __init__(self, folder: Path) -> None:
        self.port = free_tcp_port()
        self._config = folder / "cpppo.cfg"
        self._config.write_text(
            "[Identity]\n"
            f"Product Name = {PRODUCT_NAME}\n"
            f"Serial Number = {SERIAL_NUMBER}\n"
            f"Vendor Number = {VENDOR_ID}\n"
            f"Device Type = {DEVICE_TYPE}\n"
            f"Product Code Number = {PRODUCT_CODE}\n"
            f"Product Revision = {REVISION[1] << 8 | REVISION[0]}\n"
        )
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable, "-m", "cpppo.server.enip", "--no-print", "--no-udp",
                "--config", str(self._config), "--address", f"127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self._config.parent,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._accepts():
            if self._process.poll() is not None:
                raise RuntimeError(f"cpppo exited with {self._process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"cpppo did not listen within {START_TIMEOUT_S:g} s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def _accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True
