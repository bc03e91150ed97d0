"""``PulseClient.on_status_change``: status changes delivered to a callback from a background
thread that keeps the stream open for as long as the subscription lives, reconnecting as
:mod:`~thingconnect_pulse.reconnect` says and resuming where it left off (see
:class:`~thingconnect_pulse.events.StatusFeed`).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol, Self

import httpx

from thingconnect_pulse.events import ServerSentEvent, StatusChange, StatusFeed
from thingconnect_pulse.reconnect import STREAM_ERRORS, Backoff, worth_retrying

log = logging.getLogger("thingconnect_pulse")


class StreamOpener(Protocol):
    def __call__(
        self, group: str | None, endpoint_id: str | None, last_event_id: str | None
    ) -> AbstractContextManager[tuple[httpx.Response, Iterator[ServerSentEvent]]]: ...


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
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._response: httpx.Response | None = None
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
            if self._response is not None:
                _interrupt(self._response)
        self._thread.join(timeout_s)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _run(self) -> None:
        backoff = Backoff()
        while not self._stopping.is_set():
            try:
                self._follow_one_connection()
                backoff.reset()  # the stream was open: try again soon
            except STREAM_ERRORS as error:
                if self._stopping.is_set():
                    return
                self._on_error(error)
                if not worth_retrying(error):
                    return
            self._connected.clear()
            if self._stopping.wait(backoff.next_delay_s()):
                return

    def _follow_one_connection(self) -> None:
        resuming_after = self._feed.last_event_id
        opened = self._open_stream(self._group, self._endpoint_id, resuming_after)
        with opened as (response, events):
            with self._lock:
                if self._stopping.is_set():
                    return
                self._response = response
            if resuming_after is not None:
                self._connected.set()  # the statuses are known; the server may send nothing
            try:
                for change in self._feed.read(_noting_connected(events, self._connected)):
                    self._deliver(change)
            finally:
                with self._lock:
                    self._response = None

    def _deliver(self, change: StatusChange) -> None:
        """A failing callback is reported and the stream goes on: one bad message must not
        end a subscription meant to run for days."""
        try:
            self._callback(change)
        except Exception as error:  # noqa: BLE001 - the caller's code, reported to the caller
            self._on_error(error)


def _noting_connected(
    events: Iterator[ServerSentEvent], connected: threading.Event
) -> Iterator[ServerSentEvent]:
    for event in events:
        yield event
        connected.set()  # after the first snapshot was read into the statuses


def _interrupt(response: httpx.Response) -> None:
    """Wakes the thread blocked reading the stream: shutting the socket down ends its read
    at once, where closing the client from another thread would not."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed by the other side
