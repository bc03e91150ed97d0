"""Objects that live as long as the configuration are kept out of garbage collections, and
memory freed between them goes back to the system."""

from __future__ import annotations

import gc
import platform
from pathlib import Path

import pytest

from pulse_core.engine.long_lived import release_freed_memory, settle_long_lived_objects


def test_settling_freezes_what_exists_and_leaves_new_objects_collectable() -> None:
    kept = [[index] for index in range(1000)]
    try:
        settle_long_lived_objects()
        frozen = gc.get_freeze_count()
        assert frozen >= len(kept)
        later = [[index] for index in range(1000)]
        assert all(gc.is_tracked(item) for item in later)
        assert gc.get_freeze_count() == frozen  # new objects are collected as usual
    finally:
        gc.unfreeze()


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(
    not Path("/proc/self/status").exists() or platform.libc_ver()[0] != "glibc",
    reason="needs Linux's /proc and a C library with malloc_trim (glibc)",
)
def test_freed_memory_between_kept_blocks_goes_back_to_the_system() -> None:
    """Blocks freed between blocks that stay are kept by the C library until released: 45 MB
    of 100 KB blocks (below the size it maps apart), every tenth kept."""
    blocks = [bytes(100_000) for _ in range(500)]
    kept = blocks[9::10]
    del blocks
    before = _rss_bytes()
    assert release_freed_memory()
    assert before - _rss_bytes() > 20_000_000
    del kept
