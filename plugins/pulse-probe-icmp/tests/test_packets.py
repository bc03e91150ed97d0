"""Packet building and reading, byte for byte (the engine tests send them for real)."""

from __future__ import annotations

import socket
import struct

import pytest

from pulse_probe_icmp.packets import (
    ECHO_REPLY,
    ICMPV4,
    ICMPV6,
    UNREACHABLE,
    EchoRequestTemplate,
    ReplyReader,
    ones_complement_sum,
)


def fold(total: int) -> int:
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def ipv4_header(source: str, destination: str, payload_length: int) -> bytes:
    return struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + payload_length,
        0,
        0,
        64,
        1,
        0,
        socket.inet_aton(source),
        socket.inet_aton(destination),
    )


@pytest.mark.parametrize("payload_size", [0, 1, 56, 57, 1472])
@pytest.mark.parametrize("sequence", [0, 1, 0x7FFF, 0xFFFF])
def test_a_built_request_carries_a_valid_checksum(payload_size: int, sequence: int) -> None:
    packet = EchoRequestTemplate(ICMPV4, 0xBEEF, payload_size).build(sequence)
    assert len(packet) == 8 + payload_size
    assert fold(ones_complement_sum(packet)) == 0xFFFF  # RFC 1071: a valid packet sums to ~0
    assert struct.unpack_from("!BBxxHH", packet) == (8, 0, 0xBEEF, sequence)


def test_an_icmpv6_request_has_the_icmpv6_type() -> None:
    assert EchoRequestTemplate(ICMPV6, 1, 56).build(9)[0] == 128


def test_an_echo_reply_behind_an_ipv4_header_is_read() -> None:
    reply = bytearray(EchoRequestTemplate(ICMPV4, 0x1234, 56).build(77))
    reply[0] = 0  # echo reply
    packet = bytearray(ipv4_header("127.0.0.9", "127.0.0.1", len(reply)) + reply)
    reader = ReplyReader(ICMPV4, has_ip_header=True)
    assert reader.read(packet, len(packet)) == (ECHO_REPLY, 0x1234, 77, None)


def test_our_own_request_seen_on_loopback_is_not_a_reply() -> None:
    packet = bytearray(EchoRequestTemplate(ICMPV6, 1, 8).build(1))
    assert ReplyReader(ICMPV6, has_ip_header=False).read(packet, len(packet)) is None


def test_a_truncated_packet_is_ignored() -> None:
    assert ReplyReader(ICMPV4, has_ip_header=False).read(bytearray(b"\x00\x00\x00"), 3) is None


def test_an_ipv4_unreachable_error_names_the_request_it_quotes() -> None:
    request = EchoRequestTemplate(ICMPV4, 0x4242, 56).build(5)
    quoted = ipv4_header("198.18.0.1", "198.18.9.9", len(request)) + request[:8]
    error = struct.pack("!BBHI", 3, 1, 0, 0) + quoted
    packet = bytearray(ipv4_header("198.18.0.2", "198.18.0.1", len(error)) + error)
    message = ReplyReader(ICMPV4, has_ip_header=True).read(packet, len(packet))
    assert message == (UNREACHABLE, 0x4242, 5, socket.inet_aton("198.18.9.9"))


def test_an_icmpv6_unreachable_error_names_the_request_it_quotes() -> None:
    request = EchoRequestTemplate(ICMPV6, 0x0101, 56).build(6)
    destination = socket.inet_pton(socket.AF_INET6, "2001:db8::9")
    quoted_header = struct.pack(
        "!IHBB16s16s",
        6 << 28,
        len(request),
        58,
        64,
        socket.inet_pton(socket.AF_INET6, "2001:db8::1"),
        destination,
    )
    packet = bytearray(struct.pack("!BBHI", 1, 3, 0, 0) + quoted_header + request)
    message = ReplyReader(ICMPV6, has_ip_header=False).read(packet, len(packet))
    assert message == (UNREACHABLE, 0x0101, 6, destination)


def test_an_unreachable_error_about_something_else_than_ping_is_ignored() -> None:
    udp = struct.pack("!HHHH", 5000, 53, 8, 0)
    quoted = bytearray(ipv4_header("198.18.0.1", "198.18.9.9", 8) + udp)
    quoted[9] = 17  # UDP
    packet = bytearray(struct.pack("!BBHI", 3, 3, 0, 0) + quoted)
    assert ReplyReader(ICMPV4, has_ip_header=False).read(packet, len(packet)) is None
