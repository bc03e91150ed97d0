"""Turning the outcomes of one check's pings into the check's result."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from statistics import fmean

from pulse_core.contract import ProbeResult

from pulse_probe_icmp.engine import TIMED_OUT, EchoFailure, EchoOutcome


def summarize(outcomes: Sequence[EchoOutcome], timeout_ms: int) -> ProbeResult:
    """Up when any reply came back; ``rtt_ms`` is the mean RTT of the replies.

    With several packets, ``details`` adds ``loss_pct`` and ``jitter_ms`` (the mean absolute
    difference of consecutive RTTs, as RFC 3550 and SmokePing measure it; ``None`` with fewer
    than two replies). Without a reply, the error is the first specific failure (an ICMP
    "destination unreachable", a send error) or else the timeout.
    """
    if len(outcomes) == 1:
        return summarize_one(outcomes[0], timeout_ms)
    rtts = [outcome for outcome in outcomes if isinstance(outcome, float)]
    details = _loss_and_jitter(rtts, len(outcomes)) if len(outcomes) > 1 else {}
    if rtts:
        return ProbeResult.success(round(fmean(rtts), 3), **details)
    failures = [o for o in outcomes if isinstance(o, EchoFailure) and o is not TIMED_OUT]
    error = failures[0].message if failures else f"timeout after {timeout_ms} ms"
    return ProbeResult.failure(error, **details)


def summarize_one(outcome: EchoOutcome, timeout_ms: int) -> ProbeResult:
    """The result of the common check, one packet: :func:`summarize` of ``(outcome,)``."""
    if isinstance(outcome, float):
        return ProbeResult(True, round(outcome, 3))
    return ProbeResult.failure(
        f"timeout after {timeout_ms} ms" if outcome is TIMED_OUT else outcome.message
    )


def _loss_and_jitter(rtts: Sequence[float], sent: int) -> dict[str, float | None]:
    jitter = (
        round(fmean(abs(later - earlier) for earlier, later in pairwise(rtts)), 3)
        if len(rtts) > 1
        else None
    )
    return {"loss_pct": round(100.0 * (sent - len(rtts)) / sent, 1), "jitter_ms": jitter}
