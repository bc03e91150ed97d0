"""Pulse: a network availability monitor built from plugins."""

from importlib.metadata import PackageNotFoundError, version

import pluggy

hookimpl = pluggy.HookimplMarker("pulse")
"""Marks a plugin's implementation of a hook in :mod:`pulse_core.hookspecs`."""

try:
    __version__ = version("pulse-core")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["hookimpl", "__version__"]
