"""The namespace lab itself: hosts that are slow, lossy, silent or back, and nothing left behind."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pulse_core.testing.lab import (
    NETNS_SKIP_REASON,
    DelayedHost,
    LabHost,
    delayed_host,
    echo_reply_to,
    lab_host,
)
from pulse_probe_icmp.addresses import parse_ip_literal
from pulse_probe_icmp.engine import TIMED_OUT, EchoOutcome, IcmpEngine

pytestmark = pytest.mark.skipif(NETNS_SKIP_REASON is not None, reason=NETNS_SKIP_REASON or "")



@pytest_asyncio.fixture
async def engine() -> AsyncIterator[IcmpEngine]:
    started = IcmpEngine()
    started.start()
    yield started
    started.close()


async def ping(engine: IcmpEngine, host: str, timeout_s: float = 1.0) -> EchoOutcome:
    address = parse_ip_literal(host)
    assert address is not None
    return await engine.ping(address, asyncio.get_running_loop().time() + timeout_s, 56)


def routes() -> str:
    return subprocess.run(["ip", "route", "show"], capture_output=True, text=True).stdout


def internet_checksum(data: bytes) -> int:
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def with_checksum(data: bytes, at: int) -> bytes:
    checksum = internet_checksum(data).to_bytes(2, "big")
    return data[:at] + checksum + data[at + 2 :]


# An echo request 127.0.0.1 -> 127.0.0.2, identifier 0x1234, sequence 1, payload "hi".
REQUEST = with_checksum(
    bytes.fromhex("4500001e00014000400100007f0000017f000002"), 10
) + with_checksum(bytes.fromhex("08000000123400016869"), 2)


def test_an_echo_reply_swaps_the_addresses_and_keeps_both_checksums_valid() -> None:
    reply = echo_reply_to(REQUEST)
    assert reply is not None
    assert reply[12:16] == REQUEST[16:20] and reply[16:20] == REQUEST[12:16]
    assert reply[20] == 0 and reply[24:] == REQUEST[24:]
    assert internet_checksum(reply[:20]) == 0
    assert internet_checksum(reply[20:]) == 0


def test_anything_but_an_ipv4_echo_request_gets_no_reply() -> None:
    echo_reply = REQUEST[:20] + b"\x00" + REQUEST[21:]
    assert echo_reply_to(echo_reply) is None
    assert echo_reply_to(REQUEST[:9] + b"\x06" + REQUEST[10:]) is None  # TCP
    assert echo_reply_to(REQUEST[:20]) is None


async def test_a_delayed_host_answers_after_its_delay_and_follows_a_new_one(
    engine: IcmpEngine,
) -> None:
    with delayed_host(80) as host:
        slow = await asyncio.gather(*(ping(engine, host.address(i)) for i in range(50)))
        host.delay_ms = 20
        fast = await ping(engine, host.address(60))
    assert all(isinstance(rtt, float) and 80 <= rtt < 300 for rtt in slow), slow
    assert isinstance(fast, float) and 20 <= fast < 80


async def test_a_delayed_host_drops_what_it_is_told_to(engine: IcmpEngine) -> None:
    with delayed_host(1) as host:
        host.loss = 0.5
        outcomes = await asyncio.gather(*(ping(engine, host.address(i), 0.5) for i in range(200)))
        host.go_silent()
        silent = await ping(engine, host.address(), 0.3)
    lost = sum(outcome is TIMED_OUT for outcome in outcomes)
    assert 40 < lost < 160
    assert silent is TIMED_OUT


def test_a_delayed_host_is_removed_even_when_the_test_fails() -> None:
    prefix = None
    with pytest.raises(RuntimeError, match="the test failed"):
        with delayed_host(10) as host:
            prefix = host.prefix
            assert str(prefix) in routes()
            raise RuntimeError("the test failed")
    assert isinstance(host, DelayedHost) and not host._thread.is_alive()
    assert str(prefix) not in routes()


async def test_a_silent_lab_host_answers_again(engine: IcmpEngine) -> None:
    with lab_host() as host:
        host.go_silent()
        assert await ping(engine, host.address(), 0.3) is TIMED_OUT
        host.answer_again()
        assert isinstance(await ping(engine, host.address()), float)


def test_a_lab_host_is_removed_even_when_the_test_fails() -> None:
    lab: LabHost | None = None
    with pytest.raises(RuntimeError, match="the test failed"):
        with lab_host() as lab:
            raise RuntimeError("the test failed")
    assert lab is not None
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert lab.namespace not in namespaces
    assert str(lab.answering) not in routes()
