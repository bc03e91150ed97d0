"""Keeping the objects of a configuration out of the garbage collector's way, and the memory
its loading used out of the process."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable
from functools import cache


def settle_long_lived_objects() -> None:
    """Move what exists now (the configuration, endpoints, states, plugins) out of the garbage
    collector's way: they live as long as the configuration, and with 20,000 endpoints every
    full collection that walked them stopped the event loop for a quarter of a second
    (docs/performance.md). Then hand back to the system the heap that loading it freed."""
    gc.collect()
    gc.freeze()
    release_freed_memory()


def release_freed_memory() -> bool:
    """Hand back to the system the pages of the heap that nothing uses; ``False`` where the
    C library cannot. Called after a configuration is settled and at each turn of the
    store's upkeep: a burst of checks and changes (a large site's first interval, an
    outage of thousands) frees memory the C library would keep for good."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, where the C library has one.

    glibc keeps the pages of freed blocks for later allocations; loading 100,000 endpoints
    frees tens of megabytes of them (the document's text and parse, lists and tables of the
    whole configuration) between objects that stay, so they were kept for good: 125 bytes
    an endpoint of the main process's memory, given back in about a millisecond."""
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None
