"""CRC-32 of joined pieces from the CRC-32 of each piece, as zlib's ``crc32_combine`` does.

Python's zlib has no ``crc32_combine``. The CRC of ``A + B`` is the CRC of ``A`` multiplied
by x^(8·len(B)) modulo the CRC polynomial, plus (xor) the CRC of ``B``; the multiplier
depends only on ``len(B)``, so it is worked out once per piece (``shift_for``) and joining
pieces is then one multiplication each, some microseconds, however long the pieces are.
"""

from __future__ import annotations

#: the CRC-32 polynomial, bits reflected, as zlib writes it
_POLY = 0xEDB88320
#: x^0 (one) in the reflected representation
_ONE = 1 << 31


def _multiply(a: int, b: int) -> int:
    """a · b modulo the polynomial (both reflected)."""
    product = 0
    mask = _ONE
    while a:
        if a & mask:
            product ^= b
            a ^= mask
        mask >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return product


def _powers() -> list[int]:
    """x^(2^k) modulo the polynomial for k = 0..63."""
    powers = [_ONE >> 1]  # x^1
    for _ in range(63):
        powers.append(_multiply(powers[-1], powers[-1]))
    return powers


_X_POWERS = _powers()


def shift_for(length: int) -> int:
    """x^(8·length) modulo the polynomial: what ``combine`` multiplies by for a piece of
    ``length`` bytes."""
    result, k, n = _ONE, 3, length  # 8·length = length · 2^3
    while n:
        if n & 1:
            result = _multiply(_X_POWERS[k], result)
        n >>= 1
        k += 1
    return result


def combine(crc_before: int, crc_piece: int, piece_shift: int) -> int:
    """The CRC-32 of ``before + piece`` from their CRCs and the piece's ``shift_for``."""
    return _multiply(piece_shift, crc_before) ^ crc_piece
