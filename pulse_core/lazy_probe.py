"""Probes whose checks need a library that is slow to import, or may not be installed.

Every ``pulse`` command loads every plugin, and a configuration is loaded with every probe
class, so a probe module that imports such a library at its top makes each of them wait for
it (asyncua takes 0.2-0.3 s of CPU) and fails the whole plugin where the library is missing.
A :class:`LazyProbe` keeps its class light: its checks live in a module of their own, made
when the probe starts, so the library is imported only where a configuration has targets of
the type, and a missing one fails that probe's start with the reason (its checks then fail
with it, and the rest of the site is monitored).
"""

from __future__ import annotations

import abc

from pulse_core.models import Endpoint, ProbeResult
from pulse_core.probe import Probe


class ProbeChecks(abc.ABC):
    """The checks a :class:`LazyProbe` makes when it starts and hands every check to."""

    async def start(self) -> None:
        """Open what the checks share (an engine, sessions); called once, before the first
        check."""

    async def close(self) -> None:
        """Release what :meth:`start` opened; called once at shutdown."""

    @abc.abstractmethod
    async def check(self, endpoint: Endpoint) -> ProbeResult:
        """:meth:`Probe.check`, with its promises."""


class LazyProbe(Probe):
    """A probe that checks through the :class:`ProbeChecks` :meth:`make_checks` makes when
    the probe starts."""

    _checks: ProbeChecks | None = None

    @abc.abstractmethod
    def make_checks(self) -> ProbeChecks:
        """Import the checks' module (and with it the library) and make them; an
        ``ImportError`` here fails the probe's start with its message."""

    async def start(self) -> None:
        checks = self.make_checks()
        await checks.start()
        self._checks = checks

    async def close(self) -> None:
        if self._checks is not None:
            await self._checks.close()

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        if self._checks is None:
            raise RuntimeError(f"the {self.type_name} probe was not started")
        return await self._checks.check(endpoint)
