"""The ``icmp`` probe as the scheduler uses it: one check, one result."""

from __future__ import annotations

import asyncio
import json
import time

import pydantic
import pytest
from pulse_core.testing.lab import IPTABLES_SKIP_REASON, NETNS_SKIP_REASON, LabHost, run_isolated
from pulse_core.models import Endpoint

from pulse_probe_icmp import IcmpOptions, IcmpProbe


def endpoint(host: str, timeout_ms: int = 1500, **options: int) -> Endpoint:
    return Endpoint(
        id=f"icmp-{host}",
        name=host,
        group_id="lab",
        type="icmp",
        host=host,
        timeout_ms=timeout_ms,
        options=IcmpOptions(**options) if options else None,
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "127.9.8.7", "::1"])
async def test_loopback_is_up_with_its_rtt(probe: IcmpProbe, host: str) -> None:
    result = await probe.check(endpoint(host))
    assert result.ok and result.error is None
    assert result.rtt_ms is not None and 0 < result.rtt_ms < 1000
    assert result.details == {}


async def test_several_packets_report_loss_and_jitter(probe: IcmpProbe) -> None:
    started = time.perf_counter()
    result = await probe.check(endpoint("127.0.0.1", count=5, packet_interval_ms=20))
    assert time.perf_counter() - started >= 0.08  # four intervals between five packets
    assert result.ok
    assert result.details["loss_pct"] == 0.0
    assert 0 <= result.details["jitter_ms"] < 100


async def test_packets_that_cannot_fit_in_the_timeout_are_refused(probe: IcmpProbe) -> None:
    result = await probe.check(
        endpoint("127.0.0.1", timeout_ms=500, count=6, packet_interval_ms=100)
    )
    assert not result.ok
    assert result.error == "6 packets 100 ms apart do not fit in timeout_ms 500"


@pytest.mark.parametrize(
    "options",
    [{"count": 0}, {"count": 101}, {"packet_interval_ms": 9}, {"payload_size": -1}, {"size": 56}],
)
def test_invalid_options_are_rejected(options: dict[str, int]) -> None:
    with pytest.raises(pydantic.ValidationError):
        IcmpOptions.model_validate(options)


def test_options_default_to_one_packet_of_56_bytes() -> None:
    assert IcmpOptions() == IcmpOptions(count=1, packet_interval_ms=200, payload_size=56)


@pytest.mark.netns
async def test_a_silent_host_is_down_after_exactly_its_timeout(
    probe: IcmpProbe, lab: LabHost
) -> None:
    lab.go_silent()
    started = time.perf_counter()
    result = await probe.check(endpoint(lab.address(), timeout_ms=700))
    elapsed = time.perf_counter() - started
    assert not result.ok
    assert result.error == "timeout after 700 ms"
    assert 0.69 <= elapsed < 0.8


@pytest.mark.netns
async def test_all_packets_lost_is_full_loss(probe: IcmpProbe, lab: LabHost) -> None:
    lab.go_silent()
    result = await probe.check(
        endpoint(lab.address(), timeout_ms=400, count=3, packet_interval_ms=50)
    )
    assert not result.ok and result.error == "timeout after 400 ms"
    assert result.details == {"loss_pct": 100.0, "jitter_ms": None}


@pytest.mark.netns
@pytest.mark.skipif(bool(IPTABLES_SKIP_REASON), reason=IPTABLES_SKIP_REASON or "")
async def test_partial_loss_is_measured(probe: IcmpProbe, lab: LabHost) -> None:
    lab.drop_requests(0.5)
    result = await probe.check(
        endpoint(lab.address(), timeout_ms=1500, count=40, packet_interval_ms=10)
    )
    loss_pct = result.details["loss_pct"]
    assert result.ok  # at least one of 40 came back (all lost: 1 in 10^12)
    assert 0 < loss_pct < 100
    assert loss_pct * 40 / 100 == pytest.approx(round(loss_pct * 40 / 100))  # whole packets
    assert result.details["jitter_ms"] is not None


@pytest.mark.netns
async def test_an_unreachable_destination_is_reported_before_the_timeout(
    probe: IcmpProbe, lab: LabHost
) -> None:
    started = time.perf_counter()
    result = await probe.check(endpoint(str(lab.unreachable[3]), timeout_ms=5000))
    assert not result.ok
    assert result.error == "destination unreachable"
    assert time.perf_counter() - started < 1.0


CHECK_FROM_ISOLATION = """
import asyncio, json, sys
from pulse_core.models import Endpoint
from pulse_probe_icmp import IcmpProbe

async def main():
    probe = IcmpProbe()
    await probe.start()
    results = {}
    for host in sys.argv[1:]:
        target = Endpoint(id=host, name=host, group_id="g", type="icmp", host=host, timeout_ms=500)
        result = await probe.check(target)
        results[host] = [result.ok, result.error]
    await probe.close()
    print(json.dumps(results))

asyncio.run(main())
"""


@pytest.mark.netns
@pytest.mark.skipif(bool(NETNS_SKIP_REASON), reason=NETNS_SKIP_REASON or "")
def test_names_resolve_and_failures_read_plainly_where_nothing_leaves_loopback() -> None:
    """In a namespace with only loopback, DNS queries and pings to other networks fail
    locally, so these failures are real without sending anything to the outside."""
    hosts = ["localhost", "no-such-host.invalid", "198.18.0.1"]
    completed = run_isolated(CHECK_FROM_ISOLATION, *hosts)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {
        "localhost": [True, None],
        "no-such-host.invalid": [False, "name lookup failed: no-such-host.invalid (DNS did not answer)"],
        "198.18.0.1": [False, "network unreachable"],
    }


async def test_a_batch_reports_single_pings_several_packets_and_names_each_once(
    probe: IcmpProbe,
) -> None:
    """One packet to an IP literal goes out with the batch's burst; several packets and
    names to resolve are checked as ``check`` checks them; every endpoint is reported once."""
    endpoints = [
        endpoint("127.0.0.1"),
        endpoint("127.9.8.7", count=3, packet_interval_ms=10),
        endpoint("localhost"),
        endpoint("::1"),
    ]
    reported: dict[int, list[object]] = {}
    await probe.check_many(endpoints, lambda index, result: reported.setdefault(index, []).append(result))
    assert sorted(reported) == [0, 1, 2, 3]
    results = [results[0] for _, results in sorted(reported.items())]
    assert all(len(results) == 1 for results in reported.values())
    assert all(result.ok for result in results), results  # type: ignore[attr-defined]
    assert results[1].details["loss_pct"] == 0.0  # type: ignore[attr-defined]


async def test_a_report_that_raises_does_not_hold_up_its_batch(probe: IcmpProbe) -> None:
    """The report runs in the engine's read of the reply; its failure must not leave the
    batch waiting for a ping already settled."""
    endpoints = [endpoint("127.0.0.1"), endpoint("127.0.0.2")]
    reported: list[int] = []

    def report(index: int, result: object) -> None:
        reported.append(index)
        if index == 0:
            raise RuntimeError("a monitor bug")

    async with asyncio.timeout(30):  # without the fix: forever
        await probe.check_many(endpoints, report)
    assert sorted(reported) == [0, 1]
