"""The echo engine with real packets: loopback answers everything; lab hosts do not."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pulse_core.testing.lab import NETNS_SKIP_REASON, LabHost, run_isolated

from pulse_probe_icmp.addresses import IcmpAddress, parse_ip_literal
from pulse_probe_icmp.engine import (
    DESTINATION_UNREACHABLE,
    ENGINE_CLOSED,
    TIMED_OUT,
    EchoOutcome,
    IcmpEngine,
)
from pulse_probe_icmp.sockets import SocketKind

CONCURRENT_PINGS = 2000


@pytest_asyncio.fixture
async def engine() -> AsyncIterator[IcmpEngine]:
    started = IcmpEngine()
    started.start()
    yield started
    started.close()


def address(host: str) -> IcmpAddress:
    parsed = parse_ip_literal(host)
    assert parsed is not None
    return parsed


def loopback_addresses(count: int) -> list[str]:
    """Distinct addresses of 127.0.0.0/8 (all of which answer), avoiding 127.0.0.0/16."""
    return [
        f"127.{1 + index // 62500}.{index // 250 % 250}.{index % 250 + 1}" for index in range(count)
    ]


async def ping(engine: IcmpEngine, host: str, timeout_s: float = 1.0) -> EchoOutcome:
    loop = asyncio.get_running_loop()
    return await engine.ping(address(host), loop.time() + timeout_s, 56)


async def test_as_root_the_engine_uses_raw_sockets_for_both_families(engine: IcmpEngine) -> None:
    assert engine.kind is SocketKind.RAW
    assert len(engine.families) == 2


@pytest.mark.parametrize("host", ["127.0.0.1", "127.200.13.7", "::1"])
async def test_loopback_answers_with_a_round_trip_time(engine: IcmpEngine, host: str) -> None:
    outcome = await ping(engine, host)
    assert isinstance(outcome, float)
    assert 0 < outcome < 1000
    assert engine.in_flight() == 0


async def test_concurrent_pings_to_distinct_addresses_are_all_matched(engine: IcmpEngine) -> None:
    hosts = loopback_addresses(CONCURRENT_PINGS)
    outcomes = await asyncio.gather(*(ping(engine, host, timeout_s=5.0) for host in hosts))
    assert [type(outcome) for outcome in outcomes] == [float] * CONCURRENT_PINGS
    assert engine.in_flight() == 0


async def test_payload_sizes_from_empty_to_a_large_datagram_are_answered(
    engine: IcmpEngine,
) -> None:
    loop = asyncio.get_running_loop()
    for size in (0, 1, 1472, 9000):
        outcome = await engine.ping(address("127.0.0.1"), loop.time() + 1, size)
        assert isinstance(outcome, float), size


async def test_a_receiver_that_raises_leaves_the_sender_and_the_other_receivers_alone(
    engine: IcmpEngine,
) -> None:
    """Outcomes read right after sending (loopback answers within ``sendto``) or later by
    the loop's reader: either way a receiver's error goes to the loop's handler, the send
    returns, and every other receiver still gets its outcomes."""
    loop = asyncio.get_running_loop()
    errors: list[BaseException | None] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context.get("exception")))
    got: list[object] = []

    def failing(keys: list[object], outcomes: list[EchoOutcome]) -> None:
        raise RuntimeError("a receiver bug")

    def keeping(keys: list[object], outcomes: list[EchoOutcome]) -> None:
        got.extend(keys)

    deadline = loop.time() + 1.0
    engine.send([(address("127.0.0.1"), "lost")], deadline, 56, failing)
    both = [(address("127.0.0.2"), "kept"), (address("::1"), "kept too")]
    engine.send(both, deadline, 56, keeping)
    for _ in range(100):
        if errors and len(got) == 2:
            break
        await asyncio.sleep(0.01)
    loop.set_exception_handler(None)
    assert sorted(map(str, got)) == ["kept", "kept too"]
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError)
    assert engine.in_flight() == 0


async def test_pinging_before_start_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        IcmpEngine().ping(address("127.0.0.1"), 0.0, 56)


@pytest.mark.netns
async def test_replies_are_never_credited_to_a_silent_host(
    engine: IcmpEngine, lab: LabHost
) -> None:
    """Answered and unanswered pings interleaved, all in flight at once: a reply matched to
    the wrong ping would show up as a silent host that answered."""
    lab.go_silent()
    hosts = [
        loopback_addresses(CONCURRENT_PINGS // 2)[index // 2]
        if index % 2 == 0
        else lab.address(index // 2)
        for index in range(CONCURRENT_PINGS)
    ]
    outcomes = await asyncio.gather(*(ping(engine, host, timeout_s=1.0) for host in hosts))
    answered = [isinstance(outcome, float) for outcome in outcomes]
    assert answered == [index % 2 == 0 for index in range(CONCURRENT_PINGS)]
    assert all(outcome is TIMED_OUT for outcome in outcomes[1::2])
    assert engine.in_flight() == 0


@pytest.mark.netns
async def test_a_silent_host_times_out_at_the_deadline(engine: IcmpEngine, lab: LabHost) -> None:
    lab.go_silent()
    started = time.perf_counter()
    assert await ping(engine, lab.address(), timeout_s=0.3) is TIMED_OUT
    assert 0.29 <= time.perf_counter() - started < 0.4


@pytest.mark.netns
async def test_an_icmp_unreachable_error_ends_the_ping_early(
    engine: IcmpEngine, lab: LabHost
) -> None:
    started = time.perf_counter()
    assert await ping(engine, str(lab.unreachable[7]), timeout_s=5.0) is DESTINATION_UNREACHABLE
    assert time.perf_counter() - started < 1.0


@pytest.mark.netns
async def test_closing_settles_every_ping_in_flight(lab: LabHost) -> None:
    lab.go_silent()
    engine = IcmpEngine()
    engine.start()
    pending = [
        asyncio.ensure_future(ping(engine, lab.address(index), timeout_s=30)) for index in range(10)
    ]
    await asyncio.sleep(0.05)
    engine.close()
    assert await asyncio.gather(*pending) == [ENGINE_CLOSED] * 10


PING_FROM_ISOLATION = """
import asyncio, json
from pulse_probe_icmp.addresses import parse_ip_literal
from pulse_probe_icmp.engine import IcmpEngine

async def main():
    engine = IcmpEngine()
    try:
        engine.start()
    except PermissionError as error:
        print(json.dumps({"error": str(error)}))
        return
    loop = asyncio.get_running_loop()
    hosts = ["::1"] + [f"127.0.{i // 250}.{i % 250 + 1}" for i in range(500)]
    futures = [engine.ping(parse_ip_literal(h), loop.time() + 2, 56) for h in hosts]
    outcomes = [await f for f in futures]
    answered = sum(isinstance(outcome, float) for outcome in outcomes)
    print(json.dumps({"kind": engine.kind, "answered": answered}))
    engine.close()

asyncio.run(main())
"""


@pytest.mark.netns
@pytest.mark.skipif(bool(NETNS_SKIP_REASON), reason=NETNS_SKIP_REASON or "")
def test_without_cap_net_raw_the_engine_falls_back_to_ping_sockets() -> None:
    completed = run_isolated(
        PING_FROM_ISOLATION,
        sysctls={"net.ipv4.ping_group_range": "0 0"},
        drop_capabilities=["net_raw"],
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {"kind": "dgram", "answered": 501}


@pytest.mark.netns
@pytest.mark.skipif(bool(NETNS_SKIP_REASON), reason=NETNS_SKIP_REASON or "")
def test_without_any_icmp_permission_the_error_says_how_to_grant_one() -> None:
    completed = run_isolated(
        PING_FROM_ISOLATION,
        sysctls={"net.ipv4.ping_group_range": "1 0"},
        drop_capabilities=["net_raw"],
    )
    assert completed.returncode == 0, completed.stderr
    error = json.loads(completed.stdout)["error"]
    assert error.startswith("cannot open an ICMP socket: run Pulse as root")
    assert "setcap cap_net_raw+ep" in error
    assert 'net.ipv4.ping_group_range="0 0"' in error
