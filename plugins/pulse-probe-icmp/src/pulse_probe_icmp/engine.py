"""The echo engine: every ping of the process goes through one socket per address family.

A ping is an entry in a dictionary keyed by its 16-bit sequence number, with the callback
its outcome goes to. The socket is non-blocking and read from a loop reader callback that
matches each reply to its ping and hands the outcomes of a read burst over together, at the
end of the burst, in one call per receiver (and :meth:`IcmpEngine.send` reads what came back
while it sent); a full send buffer parks requests in a queue drained by a writer callback;
deadlines live in a :class:`~pulse_probe_icmp.deadlines.DeadlineQueue`, one entry for every
group of pings sent together. A ping therefore costs a packet and a dictionary entry (and a
future, through :meth:`ping`), never a task, a socket or a timer of its own, which is what
lets 10,000 endpoints be pinged by one process at fping's cost.

A raw socket sees every echo reply on the host, so a reply is ours only if it carries this
engine's identifier, a sequence number in flight and comes from the address that sequence
was sent to; the last check also rejects a late reply from a host whose sequence number has
since been reused for another. On an unprivileged ping socket the kernel rewrites the
identifier and delivers only this socket's replies, so the identifier is not checked.
"""

from __future__ import annotations

import asyncio
import errno
import random
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from pulse_probe_icmp.addresses import IcmpAddress
from pulse_probe_icmp.deadlines import DeadlineQueue
from pulse_probe_icmp.packets import (
    ECHO_REPLY,
    ICMPV4,
    ICMPV6,
    EchoRequestTemplate,
    IcmpVersion,
    ReplyReader,
)
from pulse_probe_icmp.sockets import SocketKind, open_icmp_socket

SEQUENCE_SPACE: Final = 1 << 16
#: Fairness: after this many packets in one wake-up the loop serves others, then reading resumes.
MAX_READS_PER_WAKEUP: Final = 4096
#: The largest ICMP message an IPv4 raw socket can deliver, IP header included.
RECEIVE_BUFFER_SIZE: Final = 65535


@dataclass(frozen=True, slots=True)
class EchoFailure:
    """Why a ping got no reply, as a short sentence for people."""

    message: str


#: What a ping's future resolves to: the round-trip time in milliseconds, or why there is none.
EchoOutcome = float | EchoFailure
#: Where :meth:`IcmpEngine.send` hands pings' outcomes: ``on_outcomes(keys, outcomes)``, the
#: outcome of the ping of ``keys[i]`` in ``outcomes[i]``.
OnOutcomes = Callable[[list[Any], list[EchoOutcome]], None]

TIMED_OUT: Final = EchoFailure("timeout")
DESTINATION_UNREACHABLE: Final = EchoFailure("destination unreachable")
ENGINE_CLOSED: Final = EchoFailure("ICMP engine stopped")
TOO_MANY_IN_FLIGHT: Final = EchoFailure("too many pings in flight (65,536)")
SEND_FAILURES: Final = {
    errno.ENETUNREACH: EchoFailure("network unreachable"),
    errno.EHOSTUNREACH: DESTINATION_UNREACHABLE,
    errno.EPERM: EchoFailure("sending blocked by a local firewall rule"),
}


def send_failure(error: OSError) -> EchoFailure:
    known = SEND_FAILURES.get(error.errno or 0)
    return known or EchoFailure(f"cannot send: {(error.strerror or str(error)).lower()}")


class _Ping:
    """One echo request in flight."""

    __slots__ = ("address", "channel", "key", "on_outcomes", "packet", "sent_at", "sequence")

    def __init__(
        self,
        on_outcomes: OnOutcomes,
        key: object,
        channel: _Channel,
        sequence: int,
        address: IcmpAddress,
        packet: bytes,
    ) -> None:
        self.on_outcomes = on_outcomes
        self.key = key
        self.channel = channel
        self.sequence = sequence
        self.address = address
        self.packet = packet
        self.sent_at = 0.0  # perf_counter() when handed to the kernel; 0 while queued

    def in_flight(self) -> bool:
        """Whether its outcome is still to be handed over."""
        return self.channel.pending.get(self.sequence) is self

    def take(self) -> bool:
        """Take it out of the pings in flight, for its outcome to be handed over; False when
        that was done already."""
        if not self.in_flight():
            return False
        del self.channel.pending[self.sequence]
        return True


class _Channel:
    """The socket of one address family and the pings in flight on it."""

    def __init__(self, version: IcmpVersion, sock: socket.socket, kind: SocketKind) -> None:
        self.version = version
        self.socket = sock
        self.kind = kind
        self.checks_identifier = kind is SocketKind.RAW
        self.identifier = random.randrange(1, SEQUENCE_SPACE)
        self.reader = ReplyReader(
            version, has_ip_header=kind is SocketKind.RAW and version is ICMPV4
        )
        self.buffer = bytearray(RECEIVE_BUFFER_SIZE)
        self.pending: dict[int, _Ping] = {}
        self.unsent: deque[_Ping] = deque()
        self._templates: dict[int, EchoRequestTemplate] = {}
        self._next_sequence = 0

    def template(self, payload_size: int) -> EchoRequestTemplate:
        template = self._templates.get(payload_size)
        if template is None:
            template = EchoRequestTemplate(self.version, self.identifier, payload_size)
            self._templates[payload_size] = template
        return template

    def allocate_sequence(self) -> int | None:
        """The next sequence number not in flight, or ``None`` when all 65,536 are."""
        if len(self.pending) >= SEQUENCE_SPACE:
            return None
        sequence = self._next_sequence
        while sequence in self.pending:
            sequence = (sequence + 1) % SEQUENCE_SPACE
        self._next_sequence = (sequence + 1) % SEQUENCE_SPACE
        return sequence


class IcmpEngine:
    """Sends echo requests and resolves each one's future with its RTT or failure.

    ``kind`` forces a socket kind; ``None`` takes a raw socket when allowed, else an
    unprivileged ping socket. :meth:`start` raises
    :class:`~pulse_probe_icmp.sockets.IcmpPermissionError` when neither may be opened.
    """

    def __init__(self, kind: SocketKind | None = None) -> None:
        self._requested_kind = kind
        self._channels: dict[int, _Channel] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deadlines: DeadlineQueue[list[_Ping]] | None = None

    @property
    def families(self) -> frozenset[int]:
        """The address families that can be pinged (IPv6 is missing on hosts without it)."""
        return frozenset(self._channels)

    @property
    def kind(self) -> SocketKind | None:
        """The kind of socket in use, ``None`` before :meth:`start`."""
        channel = self._channels.get(socket.AF_INET)
        return channel.kind if channel is not None else None

    def in_flight(self) -> int:
        return sum(len(channel.pending) for channel in self._channels.values())

    def start(self) -> None:
        """Open the sockets and start reading; must be called from the running loop."""
        if self._loop is not None:
            raise RuntimeError("ICMP engine already started")
        loop = asyncio.get_running_loop()
        sock, kind = open_icmp_socket(ICMPV4, self._requested_kind)
        self._open_channel(loop, ICMPV4, sock, kind)
        try:
            sock6, kind6 = open_icmp_socket(ICMPV6, kind)
        except OSError as error:
            if error.errno not in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT):
                self._close_channels()
                raise
        else:
            self._open_channel(loop, ICMPV6, sock6, kind6)
        self._loop = loop
        self._deadlines = DeadlineQueue(loop, self._expire, _all_settled)

    def close(self) -> None:
        """Stop reading and resolve every ping still in flight with :data:`ENGINE_CLOSED`."""
        if self._deadlines is not None:
            self._deadlines.clear()
        self._close_channels()
        self._loop = None
        self._deadlines = None

    def ping(
        self, address: IcmpAddress, deadline: float, payload_size: int
    ) -> asyncio.Future[EchoOutcome]:
        """Send one echo request to ``address``; its future resolves by ``deadline``
        (``loop.time()``) with the RTT in ms or an :class:`EchoFailure`, and never raises."""
        if self._loop is None:
            raise RuntimeError("ICMP engine not started")
        future: asyncio.Future[EchoOutcome] = self._loop.create_future()
        self.send(((address, future),), deadline, payload_size, _resolve_all)
        return future

    def send(
        self,
        targets: Iterable[tuple[IcmpAddress, object]],
        deadline: float,
        payload_size: int,
        on_outcomes: OnOutcomes,
    ) -> None:
        """Send one echo request to each ``(address, key)`` of ``targets``; each key is
        handed to ``on_outcomes`` once, by ``deadline`` (``loop.time()``), with the RTT in
        ms or an :class:`EchoFailure` (at once, from this call, when the request cannot be
        sent). What a batch of checks uses: no future, one deadline entry for the lot, and
        the outcomes of a burst of replies go on together as soon as the burst is read:
        what came back while the requests were being sent is read before this returns."""
        deadlines = self._deadlines
        if deadlines is None:
            raise RuntimeError("ICMP engine not started")
        channels, sent = self._channels, []
        for address, key in targets:
            channel = channels.get(address.family)
            if channel is None:
                on_outcomes([key], [EchoFailure("IPv6 is not available on this host")])
                continue
            sequence = channel.allocate_sequence()
            if sequence is None:
                on_outcomes([key], [TOO_MANY_IN_FLIGHT])
                continue
            packet = channel.template(payload_size).build(sequence)
            ping = _Ping(on_outcomes, key, channel, sequence, address, packet)
            channel.pending[sequence] = ping
            sent.append(ping)
            if channel.unsent or not self._transmit(channel, ping):
                self._queue(channel, ping)
        if sent:
            deadlines.add(deadline, sent)
            for channel in {ping.channel for ping in sent}:
                self._read_now(channel)

    def _read_now(self, channel: _Channel) -> None:
        """Read the replies already in, right after a burst of requests: on loopback that is
        every one of them (the kernel answers within ``sendto``), and on a LAN the nearest
        hosts' may be; their outcomes go on from here, without a turn of the loop to notice
        the socket is readable. A receiver's error goes to the loop's handler, as it does
        from the loop's reader, not to whoever sent."""
        try:
            self._on_readable(channel)
        except Exception as error:
            assert self._loop is not None
            self._loop.call_exception_handler(
                {"message": "handing over ICMP outcomes failed", "exception": error}
            )

    def _open_channel(
        self,
        loop: asyncio.AbstractEventLoop,
        version: IcmpVersion,
        sock: socket.socket,
        kind: SocketKind,
    ) -> None:
        channel = _Channel(version, sock, kind)
        self._channels[version.family] = channel
        loop.add_reader(sock.fileno(), self._on_readable, channel)

    def _close_channels(self) -> None:
        loop = self._loop or asyncio.get_running_loop()
        for channel in self._channels.values():
            loop.remove_reader(channel.socket.fileno())
            loop.remove_writer(channel.socket.fileno())
            channel.socket.close()
            pings = list(channel.pending.values())
            channel.pending.clear()
            _hand_over(pings, ENGINE_CLOSED)
            channel.unsent.clear()
        self._channels.clear()

    def _transmit(self, channel: _Channel, ping: _Ping) -> bool:
        """Hand ``ping`` to the kernel; ``False`` when the send buffer is full."""
        ping.sent_at = time.perf_counter()
        try:
            channel.socket.sendto(ping.packet, ping.address.sockaddr)
        except (BlockingIOError, InterruptedError):
            ping.sent_at = 0.0
            return False
        except OSError as error:
            self._settle(ping, send_failure(error))
        return True

    def _queue(self, channel: _Channel, ping: _Ping) -> None:
        if not channel.unsent:
            assert self._loop is not None
            self._loop.add_writer(channel.socket.fileno(), self._on_writable, channel)
        channel.unsent.append(ping)

    def _on_writable(self, channel: _Channel) -> None:
        unsent = channel.unsent
        while unsent:
            ping = unsent[0]
            if ping.in_flight() and not self._transmit(channel, ping):
                return
            unsent.popleft()
        assert self._loop is not None
        self._loop.remove_writer(channel.socket.fileno())

    def _on_readable(self, channel: _Channel) -> None:
        """Read what has come in, then hand the burst's outcomes over, by receiver: a
        receiver that raises loses none of the others' (the error still reaches the loop)."""
        settled: dict[OnOutcomes, tuple[list[Any], list[EchoOutcome]]] = {}
        try:
            self._read(channel, settled)
        finally:
            failed: Exception | None = None
            for on_outcomes, (keys, outcomes) in settled.items():
                try:
                    on_outcomes(keys, outcomes)
                except Exception as error:
                    failed = failed or error
            if failed is not None:
                raise failed

    @staticmethod
    def _read(
        channel: _Channel, settled: dict[OnOutcomes, tuple[list[Any], list[EchoOutcome]]]
    ) -> None:
        sock, buffer, read = channel.socket, channel.buffer, channel.reader.read
        pending, identifier = channel.pending, channel.identifier
        checks_identifier = channel.checks_identifier
        for _ in range(MAX_READS_PER_WAKEUP):
            try:
                length, source = sock.recvfrom_into(buffer)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # A pending socket error is reported (and cleared) by this read; it concerns no
                # particular ping, whose own deadline still settles it.
                continue
            received_at = time.perf_counter()
            message = read(buffer, length)
            if message is None:
                continue
            kind, reply_identifier, sequence, quoted_destination = message
            if checks_identifier and reply_identifier != identifier:
                continue
            ping = pending.get(sequence)
            if ping is None or not ping.sent_at:
                continue
            if kind == ECHO_REPLY:
                if source[0] != ping.address.text:
                    continue
                outcome: EchoOutcome = (received_at - ping.sent_at) * 1000.0
            elif quoted_destination == ping.address.packed:
                outcome = DESTINATION_UNREACHABLE
            else:
                continue
            del pending[sequence]
            group = settled.get(ping.on_outcomes)
            if group is None:
                group = settled[ping.on_outcomes] = ([], [])
            group[0].append(ping.key)
            group[1].append(outcome)

    @staticmethod
    def _settle(ping: _Ping, outcome: EchoOutcome) -> None:
        """Hand over the outcome of ``ping`` unless it was handed over already."""
        if ping.take():
            ping.on_outcomes([ping.key], [outcome])

    def _expire(self, pings: list[_Ping]) -> None:
        """The pings of one send still in flight at their deadline time out, together."""
        _hand_over([ping for ping in pings if ping.take()], TIMED_OUT)


def _all_settled(pings: list[_Ping]) -> bool:
    """Whether every ping of one send has had its outcome (its deadline is no longer needed)."""
    return not any(ping.in_flight() for ping in pings)


def _hand_over(pings: list[_Ping], outcome: EchoFailure) -> None:
    """``outcome`` for every ping of ``pings``, one call per receiver."""
    by_receiver: dict[OnOutcomes, list[Any]] = {}
    for ping in pings:
        by_receiver.setdefault(ping.on_outcomes, []).append(ping.key)
    for on_outcomes, keys in by_receiver.items():
        on_outcomes(keys, [outcome] * len(keys))


def _resolve_all(futures: list[asyncio.Future[EchoOutcome]], outcomes: list[EchoOutcome]) -> None:
    """The outcomes of :meth:`IcmpEngine.ping`, unless their callers stopped waiting."""
    for future, outcome in zip(futures, outcomes):
        if not future.done():
            future.set_result(outcome)
