"""Keeping the objects of a configuration out of the garbage collector's way."""

from __future__ import annotations

import gc


def settle_long_lived_objects() -> None:
    """Move what exists now (the configuration, endpoints, states, plugins) out of the garbage
    collector's way: they live as long as the configuration, and with 20,000 endpoints every
    full collection that walked them stopped the event loop for a quarter of a second
    (docs/performance.md)."""
    gc.collect()
    gc.freeze()
