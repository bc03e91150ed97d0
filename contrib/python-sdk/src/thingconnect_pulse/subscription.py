"""``PulseClient.on_status_change``: status changes delivered to a callback from a background
thread that keeps the stream open for as long as the subscription lives, reconnecting as
:mod:`~thingconnect_pulse.reconnect` says and resuming where it left off (see
:class:`~thingconnect_pulse.events.StatusFeed`), over either transport.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Literal, NamedTuple, Protocol, Self, get_args

from thingconnect_pulse.events import PushMessage, StatusChange, StatusFeed
from thingconnect_pulse.reconnect import STREAM_ERRORS, Backoff, worth_retrying

log = logging.getLogger("thingconnect_pulse")

#: how status changes travel: ``"sse"``, Server-Sent Events (``GET /api/events/status``),
#: which resume after a reconnection with every change missed; or ``"websocket"``
#: (``/api/ws/status``), after which only each endpoint's latest status is caught up on
Transport = Literal["sse", "websocket"]


def checked_transport(transport: str) -> Transport:
    """``transport`` if it is one; a ``ValueError`` naming the choices otherwise, raised
    where the subscription is made rather than from its background thread."""
    choices: tuple[Transport, ...] = get_args(Transport)
    for choice in choices:
        if transport == choice:
            return choice
    raise ValueError(
        f"transport={transport!r} is not one of {', '.join(map(repr, choices))}: give "
        "transport='sse' (the default) or transport='websocket'"
    )


class Stream(NamedTuple):
    """One open connection of the push stream."""

    messages: Iterator[PushMessage]
    #: wakes, from another thread, a reader blocked on ``messages``
    interrupt: Callable[[], None]


class StreamOpener(Protocol):
    def __call__(
        self, group: str | None, endpoint_id: str | None, last_event_id: str | None
    ) -> AbstractContextManager[Stream]: ...


def log_error(error: Exception) -> None:
    log.warning("status changes: %s", error)


class Subscription:
    """A running subscription. ``close()`` (or leaving a ``with`` block) stops it."""

    def __init__(
        self,
        open_stream: StreamOpener,
        callback: Callable[[StatusChange], object],
        group: str | None,
        endpoint_id: str | None,
        on_error: Callable[[Exception], object] | None,
    ) -> None:
        self._open_stream = open_stream
        self._callback = callback
        self._group = group
        self._endpoint_id = endpoint_id
        self._on_error = on_error or log_error
        self._feed = StatusFeed()
        self._backoff = Backoff()
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._interrupt: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="pulse-status-changes", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        """False once closed, or ended by a refusal that retrying cannot fix."""
        return self._thread.is_alive()

    @property
    def statuses(self) -> dict[str, str]:
        """Every endpoint's latest status as this subscription knows it (endpoint id →
        ``online``, ``offline`` or ``unknown``)."""
        return dict(self._feed.statuses)

    def wait_connected(self, timeout_s: float | None = None) -> bool:
        """Waits until the stream is open and its first snapshot read; False on timeout."""
        return self._connected.wait(timeout_s)

    def wait(self, timeout_s: float | None = None) -> bool:
        """Blocks until the subscription ends (closed, or refused for good); False on
        timeout. A script that only reacts to changes calls this last, to run forever."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def close(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        with self._lock:
            if self._interrupt is not None:
                self._interrupt()
        self._thread.join(timeout_s)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._follow_one_connection()
            except STREAM_ERRORS as error:
                if self._stopping.is_set():
                    return
                self._on_error(error)
                if not worth_retrying(error):
                    return
            self._connected.clear()
            if self._stopping.wait(self._backoff.next_delay_s()):
                return

    def _follow_one_connection(self) -> None:
        resuming_after = self._feed.last_event_id
        opened = self._open_stream(self._group, self._endpoint_id, resuming_after)
        with opened as (messages, interrupt):
            self._backoff.reset()  # the stream is open: after it ends, try again soon
            with self._lock:
                if self._stopping.is_set():
                    return
                self._interrupt = interrupt
            if resuming_after is not None:
                self._connected.set()  # the statuses are known; the server may send nothing
            try:
                for change in self._feed.read(_noting_connected(messages, self._connected)):
                    self._deliver(change)
            finally:
                with self._lock:
                    self._interrupt = None

    def _deliver(self, change: StatusChange) -> None:
        """A failing callback is reported and the stream goes on: one bad message must not
        end a subscription meant to run for days."""
        try:
            self._callback(change)
        except Exception as error:  # noqa: BLE001 - the caller's code, reported to the caller
            self._on_error(error)


def _noting_connected(
    messages: Iterator[PushMessage], connected: threading.Event
) -> Iterator[PushMessage]:
    for message in messages:
        yield message
        connected.set()  # after the first snapshot was read into the statuses


def shut_down(sock: object) -> None:
    """Wakes the thread blocked reading a stream's socket: shutting it down ends the read at
    once, where closing the client from another thread would wait for the network."""
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed by the other side
