"""Unwelcoming TCP peers on loopback for the tcp probe's tests (the welcoming one is
pulse-core's ``tcp_listener`` fixture)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port that is bound but not listening: the kernel answers a SYN with a reset.

    Holding the bound socket for the whole test keeps anyone else from taking the port.
    """
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose SYNs go unanswered, so connecting to it times out, without a firewall.

    A listener with a backlog of 0 that never calls ``accept()`` is saturated by one
    established connection; the kernel then drops further SYNs (with the default
    ``tcp_abort_on_overflow = 0``) and the connecting side waits until it gives up. The
    queue is filled until a connect attempt of our own times out, which proves it is full.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers: list[socket.socket] = []
    try:
        for _ in range(8):
            filler = socket.socket()
            fillers.append(filler)
            filler.settimeout(0.2)
            try:
                filler.connect(address)
            except TimeoutError:
                break
        else:
            pytest.skip("this kernel never dropped a SYN on a full accept queue")
        yield address[1]
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
