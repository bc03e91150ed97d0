"""Where probes run: in this process, or in worker processes (:mod:`.workers`).

Configuration changes start probes through a :class:`Probing` and never name the place, so
the same sequence serves a small site, where a probe is an object of this process, and a
large one, where the checks of 100,000 endpoints need more than the one core an interpreter
can use and each probe runs in every worker process behind a stand-in of this one.
"""

from __future__ import annotations

import logging
from typing import Mapping, Protocol

from pydantic import BaseModel

from pulse_core.probe import Probe, UnavailableProbe

log = logging.getLogger("pulse.probing")


async def start_probe(
    probe_class: type[Probe], defaults: BaseModel | None
) -> tuple[Probe, str | None]:
    """A started probe, or one that fails every check with the reason it could not start, so
    the rest of the site is still monitored; the reason is returned too."""
    type_name = probe_class.type_name
    probe = probe_class(defaults)
    try:
        await probe.start()
    except Exception as exc:
        reason = f"the {type_name} probe cannot start, its checks will fail: {exc}"
        log.error("%s", reason)
        return UnavailableProbe(type_name, f"{type_name} probe unavailable: {exc}"), reason
    return probe, None


class Probing(Protocol):
    """Starts the probe of a type where checks run."""

    async def start_probe(
        self, type_name: str, defaults: BaseModel | None
    ) -> tuple[Probe, str | None]:
        """The probe the monitor calls for ``type_name``, started with ``defaults``, and the
        reason it cannot check (its checks then fail with it), if any."""

    async def close(self) -> None:
        """Stop what runs the probes (the probes themselves are closed by their owner)."""


class InProcess:
    """Probes as objects of this process: one interpreter, one core."""

    def __init__(self, classes: Mapping[str, type[Probe]]) -> None:
        self._classes = classes

    async def start_probe(
        self, type_name: str, defaults: BaseModel | None
    ) -> tuple[Probe, str | None]:
        return await start_probe(self._classes[type_name], defaults)

    async def close(self) -> None:
        return None
