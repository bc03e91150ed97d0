"""ListIdentity (encapsulation command 0x63): the request and the parsing of its reply.

The whole exchange is a 24-byte header out and one identity item back, so it is written
here rather than taken from an EtherNet/IP library: the ones there are either synchronous
(a thread per check) or a large parser framework, for what is 80 lines of ``struct``.
Layout (little-endian, except the socket address, which is in network order)::

    header   command u16, length u16, session u32, status u32, sender context 8 bytes,
             options u32
    reply    item count u16, then per item: type u16 (0x0C = identity), length u16,
             protocol version u16, socket address 16 bytes, vendor id u16, device type u16,
             product code u16, revision major u8 and minor u8, status u16, serial u32,
             product name (length u8 + text), state u8
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

LIST_IDENTITY = 0x63
HEADER = struct.Struct("<HHII8sI")
IDENTITY_ITEM = 0x0C
_ITEM_HEAD = struct.Struct("<HH")
_FIXED = struct.Struct("<H16sHHHBBHI")  # protocol version .. serial number
#: A reply announcing more than this is not a ListIdentity reply (one item is ~60 bytes).
MAX_REPLY_BYTES = 4096


class ReplyError(Exception):
    """The peer answered, but not with a ListIdentity reply Pulse can read."""


@dataclass(frozen=True)
class Identity:
    """What a device says it is: enough to tell a swapped or re-flashed device."""

    vendor_id: int
    device_type: int
    product_code: int
    revision: str
    status: int
    serial_number: int
    product_name: str
    state: int

    @property
    def serial_text(self) -> str:
        """As device labels and vendor tools print it: eight hex digits."""
        return f"0x{self.serial_number:08x}"

    def details(self) -> dict[str, Any]:
        return {
            "vendor_id": self.vendor_id,
            "device_type": self.device_type,
            "product_code": self.product_code,
            "revision": self.revision,
            "serial_number": self.serial_text,
            "product_name": self.product_name,
            "state": self.state,
            "status": self.status,
        }


def request(context: bytes) -> bytes:
    """A ListIdentity request; the device echoes ``context`` (8 bytes) in its reply."""
    return HEADER.pack(LIST_IDENTITY, 0, 0, 0, context, 0)


def reply_length(header: bytes, context: bytes) -> int:
    """How many bytes follow ``header``, after checking it answers our request."""
    command, length, _session, status, echoed, _options = HEADER.unpack(header)
    if command != LIST_IDENTITY or echoed != context:
        raise ReplyError("the reply is not an EtherNet/IP ListIdentity reply")
    if status != 0:
        raise ReplyError(f"ListIdentity refused with encapsulation status 0x{status:x}")
    if length > MAX_REPLY_BYTES:
        raise ReplyError(f"the ListIdentity reply announces {length} bytes")
    return int(length)


def parse_reply(body: bytes) -> Identity:
    """The first identity item of a ListIdentity reply's data."""
    try:
        (count,) = struct.unpack_from("<H", body)
        offset = 2
        for _ in range(count):
            item_type, item_length = _ITEM_HEAD.unpack_from(body, offset)
            offset += _ITEM_HEAD.size
            if item_type == IDENTITY_ITEM:
                return _identity(body[offset : offset + item_length])
            offset += item_length
    except (struct.error, IndexError):
        raise ReplyError("the ListIdentity reply is cut short") from None
    raise ReplyError("the ListIdentity reply holds no identity")


def _identity(item: bytes) -> Identity:
    (_version, _address, vendor, device_type, product_code, major, minor, status, serial) = (
        _FIXED.unpack_from(item)
    )
    name_length = item[_FIXED.size]
    name_end = _FIXED.size + 1 + name_length
    name = item[_FIXED.size + 1 : name_end]
    if len(name) != name_length or len(item) <= name_end:
        raise struct.error("identity item cut short")
    return Identity(
        vendor_id=vendor,
        device_type=device_type,
        product_code=product_code,
        revision=f"{major}.{minor:03d}",
        status=status,
        serial_number=serial,
        product_name=name.decode("latin-1"),
        state=item[name_end],
    )
