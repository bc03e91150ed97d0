"""A LazyProbe makes its checks when it starts, hands them every check, closes them at
shutdown; before its start, and after a start that failed, it checks nothing."""

from __future__ import annotations

import pytest

from pulse_core.contract import Endpoint, LazyProbe, ProbeChecks, ProbeResult

PLC = Endpoint(id="plc", name="PLC", group_id="g", type="lazy", host="127.0.0.1")


class CountingChecks(ProbeChecks):
    def __init__(self) -> None:
        self.events: list[str] = []

    async def start(self) -> None:
        self.events.append("start")

    async def close(self) -> None:
        self.events.append("close")

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        self.events.append(f"check {endpoint.id}")
        return ProbeResult.success(1.5)


class CountingProbe(LazyProbe):
    type_name = "lazy"

    def __init__(self) -> None:
        super().__init__()
        self.made: list[CountingChecks] = []

    def make_checks(self) -> CountingChecks:
        self.made.append(CountingChecks())
        return self.made[-1]


class MissingLibraryProbe(LazyProbe):
    type_name = "missing"

    def make_checks(self) -> ProbeChecks:
        raise ImportError("No module named 'fieldbus'")


async def test_the_checks_are_made_at_start_checked_through_and_closed() -> None:
    probe = CountingProbe()
    assert probe.made == []  # nothing made, nothing imported, before the start
    await probe.start()
    assert await probe.check(PLC) == ProbeResult.success(1.5)
    await probe.close()
    (checks,) = probe.made
    assert checks.events == ["start", "check plc", "close"]


async def test_a_probe_not_started_refuses_to_check_and_closes_quietly() -> None:
    probe = CountingProbe()
    with pytest.raises(RuntimeError, match="the lazy probe was not started"):
        await probe.check(PLC)
    await probe.close()


async def test_a_missing_library_fails_the_start_with_its_message() -> None:
    probe = MissingLibraryProbe()
    with pytest.raises(ImportError, match="fieldbus"):
        await probe.start()
    with pytest.raises(RuntimeError, match="the missing probe was not started"):
        await probe.check(PLC)
