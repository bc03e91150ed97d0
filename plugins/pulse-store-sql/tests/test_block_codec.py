"""The block codec alone: every value back exactly, a few bytes per ordinary check, and
damaged bytes refused in words."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse_store_sql.block_codec import FORMAT_VERSION, CorruptBlock, PackedCheck, decode, encode

HOUR_MS = 3_600_000
#: Far beyond any real value, to show that nothing is cut at a fixed width.
HUGE = 2**80

packed_checks = st.builds(
    PackedCheck,
    ts_ms=st.integers(-HUGE, HUGE),
    up=st.booleans(),
    rtt_us=st.none() | st.integers(-HUGE, HUGE),
    error_id=st.none() | st.integers(0, HUGE),
)


@given(checks=st.lists(packed_checks, max_size=50), base_ms=st.integers(-HUGE, HUGE))
def test_every_value_comes_back_in_order(checks: list[PackedCheck], base_ms: int) -> None:
    assert decode(encode(checks, base_ms), base_ms) == checks


def test_steady_checks_take_a_few_bytes_each() -> None:
    """An hour at 10 s with ±2 ms of jitter and RTTs that wander by tens of µs."""
    checks = [
        PackedCheck(n * 10_000 + (n * 7919) % 5 - 2, True, 800 + (n * 104_729) % 61 - 30, None)
        for n in range(360)
    ]
    block = encode(checks, 0)
    assert decode(block, 0) == checks
    assert len(block) / len(checks) < 2


def test_an_outage_costs_little_more() -> None:
    up = [PackedCheck(n * 10_000, True, 1500, None) for n in range(180)]
    down = [PackedCheck(n * 10_000, False, None, 3) for n in range(180, 360)]
    block = encode(up + down, 0)
    assert decode(block, 0) == up + down
    assert len(block) < 100


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (b"", "unknown format None"),
        (bytes([FORMAT_VERSION + 1]) + zlib.compress(b"\x00"), "unknown format 2"),
        (bytes([FORMAT_VERSION]) + b"not zlib", "does not decompress"),
        (bytes([FORMAT_VERSION]) + zlib.compress(b"\x02\x00"), "in the middle of a number"),
        (bytes([FORMAT_VERSION]) + zlib.compress(b"\x01\x00"), "in the middle of its flags"),
        (bytes([FORMAT_VERSION]) + zlib.compress(b"\x01\x00\x80\x00"), "flag byte above 127"),
        (bytes([FORMAT_VERSION]) + zlib.compress(b"\x00\x00"), "bytes after its last check"),
    ],
)
def test_damaged_block_is_refused_in_words(block: bytes, message: str) -> None:
    with pytest.raises(CorruptBlock, match=message):
        decode(block, 0)


@given(
    st.lists(
        st.tuples(
            st.integers(-60, 60), st.booleans(), st.none() | st.integers(0, 10**7),
            st.none() | st.integers(0, 300),
        ),
        max_size=400,
    ),
    st.integers(0, 2**45),
)
def test_steady_timestamps_come_back_whatever_the_rtts_and_errors(
    steps: list[tuple[int, bool, int | None, int | None]], base_ms: int
) -> None:
    """Checks 10 s apart with some jitter: the timestamps are mostly one-byte varints; RTTs
    and error ids of any size around them."""
    checks = [
        PackedCheck(base_ms + n * 10_000 + jitter, up, rtt_us, error_id)
        for n, (jitter, up, rtt_us, error_id) in enumerate(steps)
    ]
    assert decode(encode(checks, base_ms), base_ms) == checks
