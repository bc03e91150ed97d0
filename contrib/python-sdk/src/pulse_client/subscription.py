"""``PulseClient.on_status_change``: status changes delivered to a callback from a background
thread that keeps the stream open for as long as the subscription lives.

A monitoring script runs for days, across Pulse restarts and network blips, so the thread
reconnects on its own (waiting 1, 2, 4 ... up to 30 s between attempts) and resumes where it
left off (see :class:`~pulse_client.events.StatusFeed`). A refusal that retrying cannot fix
(wrong credentials, a role too low, an unknown group) ends the subscription instead.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol, Self

import httpx

from pulse_client.errors import PulseAPIError, PulseError
from pulse_client.events import ServerSentEvent, StatusChange, StatusFeed

log = logging.getLogger("pulse_client")

FIRST_RETRY_DELAY_S = 1.0
MAX_RETRY_DELAY_S = 30.0
#: API refusals worth retrying: rate limits, and a server or proxy in trouble
RETRIED_STATUSES = frozenset({429, 502, 503, 504})


class StreamOpener(Protocol):
    def __call__(
        self, group: str | None, endpoint_id: str | None, last_event_id: str | None
    ) -> AbstractContextManager[tuple[httpx.Response, Iterator[ServerSentEvent]]]: ...


def _log_error(error: Exception) -> None:
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
        self._on_error = on_error or _log_error
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
        delay_s = FIRST_RETRY_DELAY_S
        while not self._stopping.is_set():
            try:
                self._follow_one_connection()
                delay_s = FIRST_RETRY_DELAY_S  # the stream was open: try again soon
            except PulseAPIError as error:
                if self._stopping.is_set():
                    return
                self._on_error(error)
                if error.status_code not in RETRIED_STATUSES:
                    return
            except (PulseError, httpx.HTTPError) as error:
                if self._stopping.is_set():
                    return
                self._on_error(error)
            self._connected.clear()
            if self._stopping.wait(delay_s):
                return
            delay_s = min(delay_s * 2, MAX_RETRY_DELAY_S)

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
