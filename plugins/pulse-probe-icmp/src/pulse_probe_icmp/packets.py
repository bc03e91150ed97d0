"""ICMP and ICMPv6 echo packets: building requests and reading replies, for one socket kind.

icmplib (named in DESIGN.md for this job) keeps its packet code in private methods of its
socket classes, whose constructor opens a socket of its own, and computes the checksum with a
per-byte Python loop. Borrowing it would mean calling private API per packet and paying that
loop 10,000 times a round, so the few lines are written here instead: a request is a template
whose checksum over everything but the sequence number is summed once, so a packet costs one
``struct.pack``, and a reply is read with ``struct.unpack_from`` straight from the receive
buffer, without copying it.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Final

ECHO_HEADER: Final = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence
IDENTIFIER_AND_SEQUENCE: Final = struct.Struct("!HH")
ICMP_HEADER_LENGTH: Final = 8
IPV6_HEADER_LENGTH: Final = 40
IPPROTO_ICMP: Final = 1
IPPROTO_ICMPV6: Final = 58

#: Kinds of message :meth:`ReplyReader.read` reports.
ECHO_REPLY: Final = 0
UNREACHABLE: Final = 1


@dataclass(frozen=True, slots=True)
class IcmpVersion:
    """The numbers that differ between ICMP (IPv4) and ICMPv6."""

    family: int
    protocol: int
    echo_request: int
    echo_reply: int
    destination_unreachable: int


ICMPV4: Final = IcmpVersion(socket.AF_INET, IPPROTO_ICMP, 8, 0, 3)
ICMPV6: Final = IcmpVersion(socket.AF_INET6, IPPROTO_ICMPV6, 128, 129, 1)


def payload_of(size: int) -> bytes:
    """The payload of a request: a counting pattern like iputils ping, so captures read easily."""
    return bytes(index & 0xFF for index in range(size))


def ones_complement_sum(data: bytes) -> int:
    """The unfolded 16-bit one's-complement sum of ``data`` (RFC 1071), odd length padded."""
    if len(data) % 2:
        data += b"\x00"
    return sum(word for (word,) in struct.iter_unpack("!H", data))


class EchoRequestTemplate:
    """Echo requests of one identifier and payload size, differing only in sequence number.

    The checksum matters only for raw IPv4 sockets: the kernel computes it for ICMPv6 and for
    unprivileged datagram sockets (which also replace the identifier), so writing it always
    costs two additions and keeps one code path.
    """

    __slots__ = ("_identifier", "_partial_sum", "_payload", "_request_type")

    def __init__(self, version: IcmpVersion, identifier: int, payload_size: int) -> None:
        self._request_type = version.echo_request
        self._identifier = identifier
        self._payload = payload_of(payload_size)
        header_without_sequence = ECHO_HEADER.pack(version.echo_request, 0, 0, identifier, 0)
        self._partial_sum = ones_complement_sum(header_without_sequence + self._payload)

    def build(self, sequence: int) -> bytes:
        total = self._partial_sum + sequence
        total = (total & 0xFFFF) + (total >> 16)
        total = (total & 0xFFFF) + (total >> 16)
        checksum = ~total & 0xFFFF
        header = ECHO_HEADER.pack(self._request_type, 0, checksum, self._identifier, sequence)
        return header + self._payload


class ReplyReader:
    """Reads what one socket receives into ``(kind, identifier, sequence, destination)``.

    ``destination`` is the packed address the original request was sent to, known only for
    ``UNREACHABLE`` (it is quoted in the error); for ``ECHO_REPLY`` the sender is the socket's
    source address. Anything else (our own requests seen on loopback, other ICMP types that
    slipped through) reads as ``None``.
    """

    __slots__ = ("_has_ip_header", "_version")

    def __init__(self, version: IcmpVersion, *, has_ip_header: bool) -> None:
        self._version = version
        #: raw IPv4 sockets deliver the IP header; ICMPv6 and datagram sockets do not
        self._has_ip_header = has_ip_header

    def read(self, buffer: bytearray, length: int) -> tuple[int, int, int, bytes | None] | None:
        offset = ((buffer[0] & 0x0F) << 2) if self._has_ip_header else 0
        if length < offset + ICMP_HEADER_LENGTH:
            return None
        message_type = buffer[offset]
        if message_type == self._version.echo_reply:
            identifier, sequence = IDENTIFIER_AND_SEQUENCE.unpack_from(buffer, offset + 4)
            return ECHO_REPLY, identifier, sequence, None
        if message_type == self._version.destination_unreachable:
            return self._read_unreachable(buffer, length, offset + ICMP_HEADER_LENGTH)
        return None

    def _read_unreachable(
        self, buffer: bytearray, length: int, quoted: int
    ) -> tuple[int, int, int, bytes | None] | None:
        """The error quotes the IP header of our request and the first 8 bytes of its ICMP."""
        if self._version.family == socket.AF_INET:
            if length < quoted + 20:
                return None
            quoted_icmp = quoted + ((buffer[quoted] & 0x0F) << 2)
            destination = bytes(buffer[quoted + 16 : quoted + 20])
            protocol = buffer[quoted + 9]
        else:
            quoted_icmp = quoted + IPV6_HEADER_LENGTH
            if length < quoted_icmp:
                return None
            destination = bytes(buffer[quoted + 24 : quoted + 40])
            protocol = buffer[quoted + 6]
        if (
            protocol != self._version.protocol
            or length < quoted_icmp + ICMP_HEADER_LENGTH
            or buffer[quoted_icmp] != self._version.echo_request
        ):
            return None
        identifier, sequence = IDENTIFIER_AND_SEQUENCE.unpack_from(buffer, quoted_icmp + 4)
        return UNREACHABLE, identifier, sequence, destination
