"""``run_probe``: retries, and the guard against probes that overrun or raise."""

from __future__ import annotations

import asyncio
import time

from pulse_core.engine.checks import GUARD_SLACK_S, WATCHDOG_TICK_S, run_probe
from pulse_core.models import Endpoint, ProbeResult
from pulse_core.probe import Probe


def endpoint(timeout_ms: int = 100, retries: int = 1) -> Endpoint:
    return Endpoint(id="ep", name="ep", group_id="g", type="scripted", host="127.0.0.1",
                    timeout_ms=timeout_ms, retries=retries)


class ScriptedProbe(Probe):
    """Plays one step per attempt: ``"hang"``, ``"raise"``, ``"down"`` or ``"up"``."""

    type_name = "scripted"

    def __init__(self, *steps: str) -> None:
        super().__init__()
        self.steps = list(steps)
        self.attempts = 0

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        step = self.steps[self.attempts]
        self.attempts += 1
        if step == "hang":
            await asyncio.sleep(3600)
        if step == "raise":
            raise RuntimeError("plugin bug")
        return ProbeResult.success(1.0) if step == "up" else ProbeResult.failure("refused")


async def test_a_retry_follows_a_failed_attempt_and_the_first_success_wins() -> None:
    probe = ScriptedProbe("down", "up")
    result = await run_probe(probe, endpoint(retries=2))
    assert result.ok and probe.attempts == 2


async def test_the_last_failure_is_reported_when_every_attempt_fails() -> None:
    probe = ScriptedProbe("down", "raise")
    result = await run_probe(probe, endpoint(retries=1))
    assert result.error == "probe error: plugin bug"


async def test_a_probe_that_overruns_its_timeout_is_stopped_by_the_guard() -> None:
    probe = ScriptedProbe("hang", "up")
    started = time.perf_counter()
    result = await run_probe(probe, endpoint(timeout_ms=100, retries=1))
    took = time.perf_counter() - started
    assert result.ok and probe.attempts == 2  # the hanging attempt failed, the retry ran
    assert 0.1 + GUARD_SLACK_S <= took < 0.1 + GUARD_SLACK_S + WATCHDOG_TICK_S + 0.5


async def test_an_overrun_is_reported_as_a_timeout() -> None:
    result = await run_probe(ScriptedProbe("hang"), endpoint(timeout_ms=50, retries=0))
    assert result.error == "timeout after 50 ms"


async def test_cancelling_the_check_from_outside_still_cancels_it() -> None:
    task = asyncio.create_task(run_probe(ScriptedProbe("hang"), endpoint(timeout_ms=5000)))
    await asyncio.sleep(0.05)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    assert task.cancelled()
