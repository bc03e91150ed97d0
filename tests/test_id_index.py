"""IdIndex: a mapping of endpoint ids to integers, kept compact."""

from __future__ import annotations

import pytest

from pulse_core.id_index import IdIndex


def test_it_maps_like_a_dict_of_the_same_entries() -> None:
    entries = [(f"{number * 7919 % 1000:016x}", number) for number in range(1000)]
    index = IdIndex(entries)
    assert dict(index) == dict(entries) and len(index) == 1000
    assert list(index) == sorted(dict(entries))
    assert index["0000000000000000"] == 0 and "0000000000000000" in index
    for absent in ("", "zzzz", "00000000000003e8", "0" * 15):
        assert absent not in index and index.get(absent) is None
        with pytest.raises(KeyError):
            index[absent]
    assert 5 not in index  # not an id at all


def test_later_entries_win_and_with_entries_leaves_the_original_as_it_was() -> None:
    index = IdIndex([("b", 1), ("a", 2), ("b", 3)])
    assert dict(index) == {"a": 2, "b": 3}
    grown = index.with_entries([("c", 4), ("a", 5)])
    assert dict(grown) == {"a": 5, "b": 3, "c": 4}
    assert dict(index) == {"a": 2, "b": 3}
    assert dict(IdIndex()) == {} and "a" not in IdIndex()


def test_the_ids_kept_are_the_callers_own_strings() -> None:
    given = "".join(["ab", "cd"])  # built at run time: not an interned constant
    index = IdIndex([(given, 1)])
    assert next(iter(index)) is given
