"""Objects that live as long as the configuration are kept out of garbage collections."""

from __future__ import annotations

import gc

from pulse_core.engine.long_lived import settle_long_lived_objects


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
