"""``AsyncPulseClient``: the same API as :class:`~thingconnect_pulse.PulseClient` for asyncio
programs, every method a coroutine, and status changes as an ``async for`` that reconnects::

    async with AsyncPulseClient("http://localhost:8080", api_key="pulse_...") as client:
        status = await client.get_live_status()
        async for change in client.status_changes(group="line-1"):
            print(change.endpoint_id, change.status)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Mapping
from typing import IO, Any, Self, cast

import httpx

from thingconnect_pulse import calls, websocket
from thingconnect_pulse.calls import Call, Instant
from thingconnect_pulse.client import STREAM_IDLE_TIMEOUT_S
from thingconnect_pulse.connection import Connection
from thingconnect_pulse.errors import api_error, unreachable
from thingconnect_pulse.events import EventParser, PushMessage, StatusChange, StatusFeed
from thingconnect_pulse.reconnect import STREAM_ERRORS, Backoff, worth_retrying
from thingconnect_pulse.results import (
    ApplyResult,
    EndpointDetail,
    History,
    LiveStatusItem,
    WrittenEndpoint,
)
from thingconnect_pulse.subscription import Transport, checked_transport, log_error


class AsyncPulseClient(Connection[httpx.AsyncClient]):
    """A connection to one Pulse server for one event loop; its arguments are
    :class:`~thingconnect_pulse.PulseClient`'s."""

    http_class = httpx.AsyncClient

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # --- reading: see PulseClient for what each answers ----------------------------------

    async def get_live_status(
        self, group: str | None = None, search: str | None = None
    ) -> list[LiveStatusItem]:
        body = await self._json(calls.live_status(group, search))
        return cast(list[LiveStatusItem], body["items"])

    async def get_endpoint(self, endpoint_id: str, window_minutes: int = 60) -> EndpointDetail:
        return cast(EndpointDetail, await self._json(calls.endpoint(endpoint_id, window_minutes)))

    async def get_endpoint_history(
        self,
        endpoint_id: str,
        start_time: Instant | None = None,
        end_time: Instant | None = None,
        bucket: str | None = None,
    ) -> History:
        call = calls.endpoint_history(endpoint_id, start_time, end_time, bucket)
        return cast(History, await self._json(call))

    async def export_history(
        self,
        destination: str | os.PathLike[str] | IO[bytes],
        start_time: Instant,
        end_time: Instant,
        *,
        format: str = "csv",
        bucket: str = "daily",
        endpoint_id: str | None = None,
        group: str | None = None,
    ) -> int:
        call = calls.export_history(start_time, end_time, format, bucket, endpoint_id, group)
        async with self._stream(call) as response:
            if isinstance(destination, str | os.PathLike):
                with open(destination, "wb") as file:
                    return await _copy(response.aiter_bytes(), file)
            return await _copy(response.aiter_bytes(), destination)

    # --- writing (editor role) -----------------------------------------------------------

    async def create_endpoint(self, endpoint: Mapping[str, Any]) -> WrittenEndpoint:
        return cast(WrittenEndpoint, await self._json(calls.create_endpoint(endpoint)))

    async def update_endpoint(
        self, endpoint_id: str, changes: Mapping[str, Any]
    ) -> WrittenEndpoint:
        call = calls.update_endpoint(endpoint_id, changes)
        return cast(WrittenEndpoint, await self._json(call))

    async def delete_endpoint(self, endpoint_id: str) -> ApplyResult:
        return cast(ApplyResult, await self._json(calls.delete_endpoint(endpoint_id)))

    async def apply_configuration(
        self, yaml_text: str, dry_run: bool = False, note: str | None = None
    ) -> ApplyResult:
        call = calls.apply_configuration(yaml_text, dry_run, note)
        return cast(ApplyResult, await self._json(call))

    # --- live push -----------------------------------------------------------------------

    async def status_changes(
        self,
        group: str | None = None,
        endpoint_id: str | None = None,
        *,
        on_error: Callable[[Exception], object] | None = None,
        transport: Transport = "sse",
    ) -> AsyncIterator[StatusChange]:
        """Every status change until the loop breaks, across network blips and Pulse
        restarts: a broken stream is reopened (about 1, 2, 4 ... 30 s apart) and caught up
        on what was missed, ``on_error`` hearing why (default: a warning in the
        ``thingconnect_pulse`` log). A refusal retrying cannot fix (wrong or revoked
        credentials, a role too low, an unknown group) is raised. ``transport`` is
        :meth:`PulseClient.on_status_change`'s."""
        report = on_error or log_error
        open_stream = self._opener(transport)
        feed, backoff = StatusFeed(), Backoff()
        while True:
            try:
                async with open_stream(group, endpoint_id, feed.last_event_id) as messages:
                    backoff.reset()
                    async for message in messages:
                        for change in feed.take(message):
                            yield change
            except STREAM_ERRORS as error:
                if not worth_retrying(error):
                    raise
                report(error)
            await asyncio.sleep(backoff.next_delay_s())

    def _opener(
        self, transport: str
    ) -> Callable[
        [str | None, str | None, str | None],
        contextlib.AbstractAsyncContextManager[AsyncIterator[PushMessage]],
    ]:
        if checked_transport(transport) == "websocket":
            return self._socket_stream
        return self._event_stream

    @contextlib.asynccontextmanager
    async def _event_stream(
        self, group: str | None, endpoint_id: str | None, last_event_id: str | None
    ) -> AsyncIterator[AsyncIterator[PushMessage]]:
        timeout = httpx.Timeout(self._http.timeout.connect, read=STREAM_IDLE_TIMEOUT_S)
        call = calls.status_events(group, endpoint_id, last_event_id)
        async with self._stream(call, timeout=timeout) as response:
            yield _events(response.aiter_lines())

    @contextlib.asynccontextmanager
    async def _socket_stream(
        self, group: str | None, endpoint_id: str | None, _last_event_id: str | None
    ) -> AsyncIterator[AsyncIterator[PushMessage]]:
        """The WebSocket has no event ids: each connection starts with a snapshot."""
        async with websocket.opened_async(self._socket, group, endpoint_id) as socket:
            yield websocket.messages_async(socket, self.base_url)

    # --- plumbing ------------------------------------------------------------------------

    async def _json(self, call: Call) -> Any:
        async with self._stream(call) as response:
            await response.aread()
        return response.json()

    @contextlib.asynccontextmanager
    async def _stream(self, call: Call, **extra: Any) -> AsyncIterator[httpx.Response]:
        """As ``PulseClient._stream``: a successful response, its body unread."""
        try:
            async with self._http.stream(
                call.method, call.path, **call.options(), **extra
            ) as response:
                if response.is_error:
                    await response.aread()
                    raise api_error(response)
                yield response
        except httpx.TransportError as error:
            raise unreachable(self.base_url, error) from error


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[PushMessage]:
    parser = EventParser()
    async for line in lines:
        if (message := parser.line(line)) is not None:
            yield message


async def _copy(chunks: AsyncIterator[bytes], file: IO[bytes]) -> int:
    written = 0
    async for chunk in chunks:
        file.write(chunk)
        written += len(chunk)
    return written
