"""Pulse probe plugin ``http``: an endpoint is up when a request gets the expected status
(and, if asked, a body containing the expected text)."""

from pulse_probe_http.options import HttpDefaults, HttpTargetOptions
from pulse_probe_http.probe import HttpProbe

__all__ = ["HttpDefaults", "HttpProbe", "HttpTargetOptions"]
