"""Opening the one ICMP socket per address family: raw when allowed, else a ping socket.

A raw socket needs root or CAP_NET_RAW and sees every ICMP packet of the host, so the kernel
is asked to drop all types but echo replies and destination-unreachable errors before they
are queued. An unprivileged "ping" socket (``SOCK_DGRAM`` + ``IPPROTO_ICMP``) is allowed to
groups listed in ``net.ipv4.ping_group_range``; the kernel then owns the identifier and hands
this socket only its own replies (and no ICMP errors).
"""

from __future__ import annotations

import enum
import errno
import os
import socket
import struct
from typing import Final

from pulse_probe_icmp.packets import ICMPV4, ICMPV6, IcmpVersion

#: Replies of a burst of 10,000 pings must fit while the loop is busy elsewhere.
RECEIVE_BUFFER_BYTES: Final = 8 * 1024 * 1024
SEND_BUFFER_BYTES: Final = 1024 * 1024

SOL_RAW: Final = 255
ICMP_FILTER: Final = 1  # linux/icmp.h: a bit set for each type to drop
ICMPV6_FILTER: Final = 1  # linux/icmpv6.h: 256 bits, a bit set for each type to block
SO_SNDBUFFORCE: Final = 32  # asm-generic/socket.h; not exported by the socket module
SO_RCVBUFFORCE: Final = 33


class SocketKind(enum.StrEnum):
    RAW = "raw"
    DGRAM = "dgram"


class IcmpPermissionError(PermissionError):
    """Neither a raw nor an unprivileged ICMP socket may be opened; says how to allow one."""

    def __init__(self) -> None:
        gid = os.getgid()
        super().__init__(
            "cannot open an ICMP socket: run Pulse as root, or grant it CAP_NET_RAW "
            "(setcap cap_net_raw+ep on the Python binary), or allow unprivileged ping for "
            f'its group (sysctl -w net.ipv4.ping_group_range="{gid} {gid}")'
        )


def open_icmp_socket(
    version: IcmpVersion, kind: SocketKind | None
) -> tuple[socket.socket, SocketKind]:
    """Open a non-blocking ICMP socket of ``kind``, or of the best kind allowed when ``None``.

    Raises :class:`IcmpPermissionError` when no allowed kind is left, and ``OSError`` for
    anything else (``EAFNOSUPPORT`` on a host without IPv6).
    """
    kinds = [kind] if kind is not None else [SocketKind.RAW, SocketKind.DGRAM]
    for candidate in kinds:
        socket_type = socket.SOCK_RAW if candidate is SocketKind.RAW else socket.SOCK_DGRAM
        try:
            sock = socket.socket(version.family, socket_type, version.protocol)
        except PermissionError:
            continue
        except OSError as error:
            if error.errno == errno.EACCES:  # ping socket outside ping_group_range
                continue
            raise
        try:
            _configure(sock, version, candidate)
        except BaseException:
            sock.close()
            raise
        return sock, candidate
    raise IcmpPermissionError()


def _configure(sock: socket.socket, version: IcmpVersion, kind: SocketKind) -> None:
    sock.setblocking(False)
    _set_buffer(sock, socket.SO_RCVBUF, SO_RCVBUFFORCE, RECEIVE_BUFFER_BYTES)
    _set_buffer(sock, socket.SO_SNDBUF, SO_SNDBUFFORCE, SEND_BUFFER_BYTES)
    if kind is SocketKind.RAW:
        _keep_only(sock, version)


def _set_buffer(sock: socket.socket, option: int, force_option: int, size: int) -> None:
    """Ask for ``size`` past ``net.core.*mem_max`` when allowed (CAP_NET_ADMIN), else up to it."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, force_option, size)
    except PermissionError:
        sock.setsockopt(socket.SOL_SOCKET, option, size)


def _keep_only(sock: socket.socket, version: IcmpVersion) -> None:
    """Have the kernel drop every ICMP type but echo replies and destination-unreachable."""
    wanted = (version.echo_reply, version.destination_unreachable)
    if version is ICMPV4:
        blocked = 0xFFFFFFFF
        for message_type in wanted:
            blocked &= ~(1 << message_type)
        sock.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("=I", blocked))
    elif version is ICMPV6:
        words = [0xFFFFFFFF] * 8
        for message_type in wanted:
            words[message_type >> 5] &= ~(1 << (message_type & 31))
        sock.setsockopt(socket.IPPROTO_ICMPV6, ICMPV6_FILTER, struct.pack("=8I", *words))
