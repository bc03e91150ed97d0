"""Live push of status changes: WebSocket ``/api/ws/status`` and SSE ``/api/events/status``.

Both send the messages of docs/integrations.md as JSON text: first one ``snapshot`` of
every endpoint the client asked for, then a ``status_update`` for each damped status change
the monitor stores (the same changes alerts fire on), so snapshot plus updates always add up
to the current damped state. A client that reads the state elsewhere asks for no snapshot
(``?snapshot=false``): the dashboard reads ``/api/status/live`` once the socket is open, so
every change after its read reaches it, and 20,000 endpoints are not sent twice. The words are those other systems see: ``up`` is ``online``,
``down`` is ``offline``, and ``unknown`` (no state reached yet) stays ``unknown``.

Flapping is not pushed. It is a reading of the last five minutes of checks, shown by
``/api/status/live``, that can end by time passing without any check or change; pushing it
would need a stream of its own that goes stale in between, so the stream carries only what
is a recorded event.

Every client reads from its own bounded queue on the event bus (``push.client_queue_size``)
through its own sender, so a slow client never delays the monitor or other clients: when
its queue overflows it is disconnected — WebSocket close code 1013 with a reason; SSE ends
its stream with a comment and the browser resumes from ``Last-Event-ID``.

A stream also ends from this side when the credentials it was opened with stop holding
(WebSocket close 1008: key revoked, user deactivated, signed out, new password, see
:mod:`pulse_core.web.auth.revocation`; or a browser session expired) and when Pulse stops (``Pulse.stopping``; WebSocket
close 1001). A client that does not read cannot take the goodbye: its connection is aborted
``CLOSE_WAIT_S`` later, so its socket and buffers do not outlive the stream.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections import OrderedDict
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Coroutine, Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint, Response, current_app, g, request, websocket
from quart_schema import document_querystring, document_response, tag_blueprint

from pulse_core import hookimpl
from pulse_core.contract.api_errors import bad_request
from pulse_core.contract.openapi import answers
from pulse_core.engine.state import EndpointState
from pulse_core.accounts import UserSession
from pulse_core.events import Event, SubscriberDropped, Subscription
from pulse_core.models import STATUS_WORDS, StatusChange
from pulse_core.store import Store
from pulse_core.web.api.catalog import CatalogEntry, current_catalog
from pulse_core.web.api.schemas import ErrorBody
from pulse_core.web.auth.callers import Caller
from pulse_core.web.auth.context import auth_context
from pulse_core.web.connections import abort_connection
from pulse_core.web.openapi import SSE_EVENT
from pulse_core.web.serialize import iso
from pulse_core.web.served import ServedPulse

blueprint = Blueprint("push", __name__)
tag_blueprint(blueprint, ["Live push"])


#: WebSocket close code "going away", when Pulse stops
CLOSE_GOING_AWAY = 1001
#: WebSocket close code "policy violation", when the connection's credentials stop holding
CLOSE_REVOKED = 1008
#: WebSocket close code "try again later", for a client that fell behind
CLOSE_TOO_SLOW = 1013
#: how long a goodbye (close frame, end of stream) may wait for a client that does not read
#: before its connection is aborted
CLOSE_WAIT_S = 5.0
#: The most messages a client may fall behind: past it a slow client would hold that many
#: messages in memory for as long as it stays connected, instead of being disconnected.
QUEUE_SIZE_MAX = 65536
#: The changes of one stored batch are published at once, before any client can send one:
#: a mass outage (2,000 endpoints within the writer's half-second flush, or a slower flush
#: under load) must fit, or every client is disconnected exactly when it matters. A queue
#: holds references to events every client shares, so 4,096 of them cost 32 KB a client.
DEFAULT_QUEUE_SIZE = 4096
#: Heartbeats keep proxies from closing a quiet stream, which takes seconds, not less: a
#: shorter span would only keep every SSE stream busy. Past an hour proxies close it.
HEARTBEAT_MIN_S, HEARTBEAT_MAX_S = 1.0, 3600.0


class PushSection(BaseModel):
    """The ``push:`` section of the YAML configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_queue_size: int = Field(
        DEFAULT_QUEUE_SIZE,
        ge=1,
        le=QUEUE_SIZE_MAX,
        description="messages a client may fall behind before it is disconnected",
    )
    heartbeat_seconds: float = Field(
        15.0,
        ge=HEARTBEAT_MIN_S,
        le=HEARTBEAT_MAX_S,
        description="seconds between SSE heartbeat comments on a quiet stream",
    )


class PushQuery(BaseModel):
    group: str | None = Field(None, description="a group id; its child groups are included")
    endpointId: str | None = Field(None, description="one endpoint's id")
    snapshot: bool = Field(
        True,
        description="false: no snapshot first, for a client that reads the current state "
        "from /api/status/live once the stream is open",
    )


@dataclass(frozen=True, slots=True)
class Audience:
    """The endpoints one client receives: those it asked for when it connected, or all
    (including endpoints added later) when it set no filter; and whether it wants them in a
    snapshot first."""

    entries: list[CatalogEntry]
    endpoint_ids: frozenset[str] | None
    snapshot: bool = True

    def accepts(self, change: StatusChange) -> bool:
        return self.endpoint_ids is None or change.endpoint_id in self.endpoint_ids


def audience_for(args: Mapping[str, str]) -> Audience:
    """The client's filters; an unknown group or endpoint, or a ``snapshot`` that is not
    true or false, is a 400 before anything streams."""
    group, endpoint_id = args.get("group") or None, args.get("endpointId") or None
    entries = current_catalog().select(group_id=group, endpoint_id=endpoint_id)
    filtered = group is not None or endpoint_id is not None
    ids = frozenset(entry.endpoint.id for entry in entries) if filtered else None
    return Audience(entries, ids, _snapshot_wanted(args.get("snapshot")))


def _snapshot_wanted(value: str | None) -> bool:
    if value is None or value.lower() in {"true", "1"}:
        return True
    if value.lower() in {"false", "0"}:
        return False
    raise bad_request(f"snapshot={value!r} must be true or false")


def status_update(change: StatusChange) -> str:
    return _message("status_update", change.ts, {
        "endpointId": change.endpoint_id,
        "status": STATUS_WORDS[change.state.value],
        "responseTime": change.rtt_ms,
        "previousStatus": STATUS_WORDS[change.previous.value],
    })


#: how many events' texts are kept for the clients that have not sent them yet; a client
#: further behind than this encodes its own (the queue holds at most ``QUEUE_SIZE_MAX``)
TEXTS_KEPT = 4096
_texts: OrderedDict[int, tuple[Event[StatusChange], str]] = OrderedDict()


def update_text(event: Event[StatusChange]) -> str:
    """The event's ``status_update``, encoded once for every client that sends it: in a mass
    outage, thousands of changes go to each connected client. Kept by the event's identity
    (the bus hands every subscriber the same event), with the event itself, so the identity
    cannot be reused while kept."""
    kept = _texts.get(id(event))
    if kept is not None and kept[0] is event:
        return kept[1]
    text = status_update(event.payload)
    _texts[id(event)] = (event, text)
    if len(_texts) > TEXTS_KEPT:
        _texts.popitem(last=False)
    return text


def snapshot(entries: Iterable[CatalogEntry], states: Mapping[str, EndpointState]) -> str:
    return _message("snapshot", time.time(), {
        "items": [_snapshot_item(entry, states.get(entry.endpoint.id)) for entry in entries]
    })


def _snapshot_item(entry: CatalogEntry, state: EndpointState | None) -> dict[str, object]:
    last = state.last if state else None
    return {
        "endpointId": entry.endpoint.id,
        "name": entry.endpoint.name,
        "groupId": entry.group.id,
        "status": STATUS_WORDS[state.state.value] if state else "unknown",
        "responseTime": last.rtt_ms if last else None,
        "lastCheckTs": iso(last.ts) if last else None,
        "lastChangeTs": iso(state.state_since) if state else None,
    }


def _message(kind: str, ts: float, data: dict[str, object]) -> str:
    return json.dumps({"type": kind, "timestamp": iso(ts), "data": data}, separators=(",", ":"))


def _pulse() -> ServedPulse:
    pulse: ServedPulse = current_app.config["PULSE"]
    return pulse


def _settings(pulse: ServedPulse) -> PushSection:
    section: PushSection | None = pulse.config.sections.get("push")
    return section or PushSection()


@dataclass(frozen=True, slots=True)
class Ending:
    """Why this side ends a stream: a WebSocket close code and a reason for the client."""

    code: int
    reason: str


async def _session_lapses(session: UserSession | None, store: Store) -> None:
    """Return once the stream's browser session has expired; never for other callers.

    A stream is one use of its session, at its start: at the expiry it had then, the store
    says whether the browser's other requests moved it (up to the longest lifetime), and the
    stream lives on to the new expiry or ends."""
    if session is None:
        await asyncio.Event().wait()
        return
    expires_ts = session.expires_ts
    while True:
        await asyncio.sleep(max(0.0, expires_ts - time.time()))
        current = await store.session(session.id)
        if current is None or current.expires_ts <= time.time():
            return
        expires_ts = current.expires_ts


async def _ending(
    subscription: Subscription[StatusChange],
    revoked: asyncio.Event,
    pulse: ServedPulse,
    lapse: Callable[[], Coroutine[Any, Any, None]],
) -> Ending:
    """The first of the ways a stream is ended from this side, when it comes."""
    endings = {
        asyncio.create_task(lapse()): Ending(
            CLOSE_REVOKED, "session expired: sign in again, then reconnect"
        ),
        asyncio.create_task(subscription.wait_dropped()): Ending(
            CLOSE_TOO_SLOW,
            f"too slow: fell {_settings(pulse).client_queue_size} messages behind; reconnect "
            "to resume",
        ),
        asyncio.create_task(revoked.wait()): Ending(
            CLOSE_REVOKED,
            "credentials ended: API key revoked, user deactivated, signed out or new password",
        ),
        asyncio.create_task(pulse.stopping.wait()): Ending(
            CLOSE_GOING_AWAY, "Pulse is stopping; reconnect in a moment"
        ),
    }
    try:
        done, _ = await asyncio.wait(endings, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in endings:
            task.cancel()
    return next(ending for task, ending in endings.items() if task in done)


@blueprint.websocket("/api/ws/status")
async def status_socket() -> None:
    """Status changes over a WebSocket, after one snapshot unless `?snapshot=false`."""
    audience = audience_for(websocket.args)
    pulse = _pulse()
    settings = _settings(pulse)
    caller: Caller = g.caller
    with (
        pulse.events.subscribe(settings.client_queue_size, audience.accepts) as subscription,
        auth_context().revocations.watch(caller.credentials) as revoked,
    ):
        first = snapshot(audience.entries, pulse.monitor.states) if audience.snapshot else None
        await websocket.accept()
        sending = asyncio.create_task(_send_to_socket(first, subscription))
        discarding = asyncio.create_task(_discard_incoming())
        lapse = functools.partial(_session_lapses, caller.session, auth_context().store)
        ending = asyncio.create_task(_ending(subscription, revoked, pulse, lapse))
        tasks = (sending, discarding, ending)
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if subscription.dropped:  # the sender may have found out first
                await asyncio.wait((ending,))
        finally:  # also when the client left and Quart cancels this handler
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if ending.done() and not ending.cancelled():
            goodbye = ending.result()
            try:
                await asyncio.wait_for(websocket.close(goodbye.code, goodbye.reason), CLOSE_WAIT_S)
            except TimeoutError:
                abort_connection(websocket.scope)
            return
        for task in done:
            task.result()  # a sender or reader failure is a server error: let it show


async def _send_to_socket(
    first: str | None, subscription: Subscription[StatusChange]
) -> None:
    if first is not None:
        await websocket.send(first)
    while event := await _next_unless_dropped(subscription):
        await websocket.send(update_text(event))


async def _next_unless_dropped(
    subscription: Subscription[StatusChange],
) -> Event[StatusChange] | None:
    """The next event, or ``None`` once the subscriber fell behind (``_ending`` says so)."""
    try:
        return await subscription.next()
    except SubscriberDropped:
        return None


async def _discard_incoming() -> None:
    """Clients have nothing to say here; read and forget, so nothing piles up unread."""
    while True:
        await websocket.receive()


@blueprint.get("/api/events/status")
@document_querystring(PushQuery)
@document_response(ErrorBody, 400)
@answers(200, "the event stream; it ends only when the client leaves", "text/event-stream",
         schema=SSE_EVENT)
async def status_events() -> Response:
    """Status changes as Server-Sent Events

    A stream of unnamed events whose `data` is the same JSON as the WebSocket's messages:
    first a `snapshot`, then one `status_update` per status change. Every event has an
    `id`; a client that reconnects with `Last-Event-ID` gets the events it missed instead
    of a snapshot, while they are still kept. `snapshot=false` leaves the snapshot out, for a
    client that reads `/api/status/live` once the stream is open. A comment line is sent on a quiet stream every
    `push.heartbeat_seconds` (15 by default), so proxies keep the connection open. A
    `group` or `endpointId` that is not a configured one, or a `snapshot` that is not true or
    false, is a 400 before anything streams.
    """
    audience = audience_for(request.args)
    resume_after = _event_id(request.headers.get("Last-Event-ID"))
    pulse = _pulse()
    caller: Caller = g.caller
    # entered by the stream, which runs outside this request's app context
    revocation = auth_context().revocations.watch(caller.credentials)
    lapse = functools.partial(_session_lapses, caller.session, auth_context().store)
    stream = _event_stream(pulse, audience, resume_after, revocation, lapse, request.scope)
    response = Response(
        stream,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    response.timeout = None
    return response


def _event_id(header: str | None) -> int | None:
    """A ``Last-Event-ID`` we may have sent; anything else means starting afresh."""
    return int(header) if header and header.strip().isdigit() else None


async def _event_stream(
    pulse: ServedPulse,
    audience: Audience,
    resume_after: int | None,
    revocation: AbstractContextManager[asyncio.Event],
    lapse: Callable[[], Coroutine[Any, Any, None]],
    scope: Mapping[str, object],
) -> AsyncIterator[bytes]:
    bus = pulse.events
    settings = _settings(pulse)
    with (
        bus.subscribe(settings.client_queue_size, audience.accepts) as subscription,
        revocation as revoked,
    ):
        ending = asyncio.create_task(_ending(subscription, revoked, pulse, lapse))
        # While a client does not read, this generator waits in ``yield`` and never sees
        # the ending: the watchdog aborts the connection then.
        watchdog = asyncio.create_task(_abort_after_ending(ending, scope))
        try:
            missed = None if resume_after is None else bus.replay_after(resume_after)
            if missed is None and audience.snapshot:
                yield _sse(bus.last_id, snapshot(audience.entries, pulse.monitor.states))
            elif missed is not None:
                for event in missed:
                    if audience.accepts(event.payload):
                        yield _sse(event.id, update_text(event))
            while True:
                receiving = asyncio.create_task(_next_unless_dropped(subscription))
                done, _ = await asyncio.wait(
                    (receiving, ending),
                    timeout=settings.heartbeat_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if not done:
                    receiving.cancel()
                    yield b": heartbeat\n\n"
                    continue
                event = receiving.result() if receiving in done else None
                if event is not None and ending not in done:
                    yield _sse(event.id, update_text(event))
                    continue
                receiving.cancel()
                await asyncio.wait((ending,))  # a dropped subscriber may have found out first
                yield f": disconnected, {ending.result().reason}\n\n".encode()
                return
        finally:
            ending.cancel()
            watchdog.cancel()


async def _abort_after_ending(ending: asyncio.Task[Ending], scope: Mapping[str, object]) -> None:
    """Abort the connection ``CLOSE_WAIT_S`` after the stream was ended from this side,
    unless the stream finished first (this task is then cancelled)."""
    await asyncio.wait((ending,))
    if not ending.cancelled():
        await asyncio.sleep(CLOSE_WAIT_S)
        abort_connection(scope)


def _sse(event_id: int, data: str) -> bytes:
    return f"id: {event_id}\ndata: {data}\n\n".encode()


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)


@hookimpl
def pulse_config_sections(register: Callable[[str, type[BaseModel]], None]) -> None:
    register("push", PushSection)
