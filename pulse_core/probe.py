"""What a probe plugin implements: one object per target ``type`` that checks endpoints.

The scheduler calls :meth:`Probe.check` directly (never through pluggy) for every check, so a
probe keeps whatever shared machinery it needs (one ICMP socket, one HTTP connection pool)
between calls and releases it in :meth:`Probe.close`.

A probe that can check many endpoints for less than a task and a call each (ICMP: a burst of
packets on one socket, replies matched as they are read) overrides :meth:`Probe.check_many`;
the scheduler then hands it every endpoint of its type due in the same tick at once.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable, Sequence
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from pulse_core.models import Endpoint, ProbeResult


ReportResult = Callable[[int, ProbeResult], None]
"""Hands over the result of ``endpoints[index]`` in :meth:`Probe.check_many`, as it is known.

The core's ``report`` also has ``many(indexes, results)``: several results known at once (a
burst of replies read in one wake-up) handed over in one call, the same as calling ``report``
for each in turn, and taken into the endpoints' states in one pass instead of a chain of calls
per check. A probe that uses it falls back to ``report`` when it is missing (:func:`report_all`).
"""


def report_all(
    report: ReportResult, indexes: Sequence[int], results: Sequence[ProbeResult]
) -> None:
    """``report(index, result)`` for each pair, through ``report.many`` when it has one;
    without it, a call that raises does not keep the others from theirs (the first error is
    raised once all are made)."""
    many = getattr(report, "many", None)
    if many is not None:
        many(indexes, results)
        return
    failed: Exception | None = None
    for index, result in zip(indexes, results):
        try:
            report(index, result)
        except Exception as error:
            failed = failed or error
    if failed is not None:
        raise failed


class NoOptions(BaseModel):
    """The options model of a probe that owns no keys: any extra key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Probe(abc.ABC):
    """Checks endpoints of one target ``type``.

    Class attributes tell the configuration loader what the probe owns:

    - ``type_name``: the value of ``type:`` in a target (``icmp``, ``tcp``, ``http``).
    - ``target_options``: a pydantic model of the per-target keys this probe owns; a validated
      instance becomes ``Endpoint.options``. Use ``extra="forbid"`` so typos are reported.
    - ``defaults_options``: a pydantic model of the ``defaults.<type_name>`` section, or ``None``.
    - ``port_required``: whether a target of this type must name a ``port``.
    - ``identity_options``: option names that make two endpoints on the same host and port
      different endpoints (``http_path`` for http); they enter the endpoint's stable id.
    """

    type_name: ClassVar[str]
    target_options: ClassVar[type[BaseModel]] = NoOptions
    defaults_options: ClassVar[type[BaseModel] | None] = None
    port_required: ClassVar[bool] = False
    identity_options: ClassVar[tuple[str, ...]] = ()

    def __init__(self, defaults: BaseModel | None = None) -> None:
        self.defaults = defaults

    async def start(self) -> None:
        """Acquire shared resources (sockets, pools). Called once before the first check."""

    async def close(self) -> None:
        """Release what :meth:`start` acquired. Called once at shutdown."""

    @abc.abstractmethod
    async def check(self, endpoint: Endpoint) -> ProbeResult:
        """Check ``endpoint`` once and report the outcome.

        Must return within ``endpoint.timeout_ms`` (report ``"timeout after N ms"``), and report
        failures as a :class:`ProbeResult` with a short human ``error`` rather than raising:
        an exception is recorded as a failed check with the exception's text. Retries are the
        engine's job, not the probe's.
        """

    async def check_many(self, endpoints: Sequence[Endpoint], report: ReportResult) -> None:
        """Check every endpoint of ``endpoints`` once; call ``report(index, result)`` for
        each as soon as its result is known, once per endpoint, and return when all are.

        The same promises as :meth:`check`, per endpoint: each answers within its own
        ``timeout_ms``, failures are results, not exceptions. This default runs
        :meth:`check` for each endpoint concurrently; a probe overrides it only when it can
        check a batch for less (the scheduler batches the checks of a probe that does).
        """

        async def one(index: int, endpoint: Endpoint) -> None:
            report(index, await self.check(endpoint))

        await asyncio.gather(*(one(index, endpoint) for index, endpoint in enumerate(endpoints)))

    @classmethod
    def checks_in_batches(cls) -> bool:
        """Whether this probe overrides :meth:`check_many` (then the scheduler batches)."""
        return cls.check_many is not Probe.check_many


class UnavailableProbe(Probe):
    """Stands in for a probe that could not start (for example ICMP without the privilege to
    open its socket): every check fails with the reason, so the rest of the site is still
    monitored and the problem is visible on each affected endpoint."""

    def __init__(self, type_name: str, reason: str) -> None:
        super().__init__(None)
        self.type_name = type_name  # type: ignore[misc]  # an instance stands in for a class
        self.reason = reason

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        return ProbeResult.failure(self.reason)
