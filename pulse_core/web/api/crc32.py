"""CRC-32 of joined pieces from the CRC-32 of each piece, as zlib's ``crc32_combine`` does.

Python's zlib has no ``crc32_combine``. The CRC of ``A + B`` is the CRC of ``A`` multiplied
by x^(8·len(B)) modulo the CRC polynomial, plus (xor) the CRC of ``B``; the multiplier
depends only on ``len(B)``, so it is worked out once per piece (``shift_for``) and joining
pieces is then one multiplication each, however long the pieces are.

A multiplication by a known factor is linear in the other one's bits, so the factor is kept
as eight tables of 16, the products with each value of each 4-bit part of the other: a
product is then eight lookups (about 1 µs), where multiplying bit by bit took some 10 µs,
3 ms for the 313 pieces of a live list at 20,000 endpoints.
"""

from __future__ import annotations

from array import array

#: the CRC-32 polynomial, bits reflected, as zlib writes it
_POLY = 0xEDB88320
#: x^0 (one) in the reflected representation
_ONE = 1 << 31

#: a factor's products with each 4-bit part of the other factor: index 16·k + n is the
#: product with n in bits 4k to 4k + 3 (and zero elsewhere)
Shift = array


def _times_x(value: int) -> int:
    """value · x modulo the polynomial."""
    return (value >> 1) ^ _POLY if value & 1 else value >> 1


def _tables(factor: int) -> Shift:
    """``factor``'s products with every 4-bit part: bit b (reflected) stands for x^(31-b)."""
    single_bits = [0] * 32  # single_bits[b]: factor · x^(31-b)
    for degree in range(32):
        single_bits[31 - degree] = factor
        factor = _times_x(factor)
    tables = array("I", bytes(4 * 128))
    for part in range(8):
        at = 16 * part
        for value in range(1, 16):
            low = value & -value
            single = single_bits[4 * part + low.bit_length() - 1]
            tables[at + value] = tables[at + (value ^ low)] ^ single
    return tables


def _times(tables: Shift, value: int) -> int:
    """value · the factor of ``tables``, modulo the polynomial."""
    return (
        tables[value & 15] ^ tables[16 | value >> 4 & 15] ^ tables[32 | value >> 8 & 15]
        ^ tables[48 | value >> 12 & 15] ^ tables[64 | value >> 16 & 15]
        ^ tables[80 | value >> 20 & 15] ^ tables[96 | value >> 24 & 15]
        ^ tables[112 | value >> 28]
    )  # fmt: skip


def _powers() -> list[Shift]:
    """x^(2^k) modulo the polynomial for k = 0..63, as tables."""
    power, powers = _ONE >> 1, []  # x^1
    for _ in range(64):
        tables = _tables(power)
        powers.append(tables)
        power = _times(tables, power)
    return powers


_X_POWERS = _powers()


def shift_for(length: int) -> Shift:
    """x^(8·length) modulo the polynomial: what ``combine`` multiplies by for a piece of
    ``length`` bytes."""
    result, k, n = _ONE, 3, length  # 8·length = length · 2^3
    while n:
        if n & 1:
            result = _times(_X_POWERS[k], result)
        n >>= 1
        k += 1
    return _tables(result)


def combine(crc_before: int, crc_piece: int, piece_shift: Shift) -> int:
    """The CRC-32 of ``before + piece`` from their CRCs and the piece's ``shift_for``."""
    return _times(piece_shift, crc_before) ^ crc_piece
