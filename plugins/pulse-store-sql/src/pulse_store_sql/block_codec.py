"""The bytes of a check block: many checks of one endpoint in a few bytes each.

A block is a sequence of checks reduced to integers (``PackedCheck``). The encoding is laid
out by column, so that each column is a run of similar small numbers that zlib squeezes:

    byte 0         format version (``FORMAT_VERSION``)
    bytes 1..      zlib of:
        varint     number of checks n
        n varints  timestamps: zigzag of (delta - previous delta), where delta is the gap in
                   ms to the previous check (to ``base_ms`` for the first), the previous delta
                   of the first being 0. Checks at a steady interval are mostly zeros; the
                   scheduler's jitter makes them small.
        n bytes    flags: bit 0 up, bit 1 has an RTT, bit 2 has an error
        varints    RTTs in µs of the checks that have one: zigzag of the change from the
                   previous RTT in the block (from 0 for the first)
        varints    error ids of the checks that have one

Varints are unsigned LEB128 (7 bits a byte, low bits first); zigzag maps signed to unsigned
(0, -1, 1, -2 → 0, 1, 2, 3), so the order of the checks is kept even when it is not the
order of their timestamps. Every value round-trips exactly, whatever its size.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from typing import NamedTuple

FORMAT_VERSION = 1

_UP = 1
_HAS_RTT = 2
_HAS_ERROR = 4


class PackedCheck(NamedTuple):
    """A check as a block keeps it: the endpoint is the block's, the error an id into the
    store's table of error texts."""

    ts_ms: int
    up: bool
    rtt_us: int | None
    error_id: int | None


class CorruptBlock(ValueError):
    """Bytes that this codec did not write, or that were damaged since."""


def encode(checks: Sequence[PackedCheck], base_ms: int) -> bytes:
    """The block holding ``checks`` in their order; timestamps are stored relative to
    ``base_ms``, which ``decode`` must be given again."""
    payload = bytearray()
    _put_varint(payload, len(checks))
    previous_ts, previous_delta = base_ms, 0
    for check in checks:
        delta = check.ts_ms - previous_ts
        _put_varint(payload, _zigzag(delta - previous_delta))
        previous_ts, previous_delta = check.ts_ms, delta
    payload += bytes(_flags(check) for check in checks)
    previous_rtt = 0
    for check in checks:
        if check.rtt_us is not None:
            _put_varint(payload, _zigzag(check.rtt_us - previous_rtt))
            previous_rtt = check.rtt_us
    for check in checks:
        if check.error_id is not None:
            _put_varint(payload, check.error_id)
    return bytes([FORMAT_VERSION]) + zlib.compress(payload, 9)


def decode(block: bytes, base_ms: int) -> list[PackedCheck]:
    """The checks ``encode`` was given, in the same order."""
    if not block or block[0] != FORMAT_VERSION:
        version = block[0] if block else None
        raise CorruptBlock(f"check block of unknown format {version!r} (this store writes 1)")
    try:
        payload = zlib.decompress(block[1:])
    except zlib.error as error:
        raise CorruptBlock(f"check block does not decompress: {error}") from None
    reader = _VarintReader(payload)
    count = reader.next()
    timestamps = []
    previous_ts, previous_delta = base_ms, 0
    for _ in range(count):
        delta = previous_delta + _unzigzag(reader.next())
        previous_ts, previous_delta = previous_ts + delta, delta
        timestamps.append(previous_ts)
    flags = reader.take(count)
    rtts = []
    previous_rtt = 0
    for flag in flags:
        if flag & _HAS_RTT:
            previous_rtt += _unzigzag(reader.next())
            rtts.append(previous_rtt)
    errors = [reader.next() for flag in flags if flag & _HAS_ERROR]
    reader.expect_end()
    rtt_values: Iterator[int] = iter(rtts)
    error_ids: Iterator[int] = iter(errors)
    return [
        PackedCheck(
            ts_ms,
            bool(flag & _UP),
            next(rtt_values) if flag & _HAS_RTT else None,
            next(error_ids) if flag & _HAS_ERROR else None,
        )
        for ts_ms, flag in zip(timestamps, flags)
    ]


def _flags(check: PackedCheck) -> int:
    return (
        (_UP if check.up else 0)
        | (_HAS_RTT if check.rtt_us is not None else 0)
        | (_HAS_ERROR if check.error_id is not None else 0)
    )


def _zigzag(value: int) -> int:
    return value * 2 if value >= 0 else -value * 2 - 1


def _unzigzag(value: int) -> int:
    return value // 2 if value % 2 == 0 else -(value + 1) // 2


def _put_varint(out: bytearray, value: int) -> None:
    if value < 0:
        raise ValueError(f"a varint holds no negative number, got {value}")
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


class _VarintReader:
    """Reads varints and raw bytes from a payload, front to back."""

    def __init__(self, payload: bytes) -> None:
        self._payload = payload
        self._position = 0

    def next(self) -> int:
        value, shift = 0, 0
        try:
            while True:
                byte = self._payload[self._position]
                self._position += 1
                value |= (byte & 0x7F) << shift
                if byte < 0x80:
                    return value
                shift += 7
        except IndexError:
            raise CorruptBlock("check block ends in the middle of a number") from None

    def take(self, count: int) -> bytes:
        end = self._position + count
        if end > len(self._payload):
            raise CorruptBlock("check block ends in the middle of its flags")
        taken, self._position = self._payload[self._position : end], end
        return taken

    def expect_end(self) -> None:
        if self._position != len(self._payload):
            raise CorruptBlock("check block has bytes after its last check")
