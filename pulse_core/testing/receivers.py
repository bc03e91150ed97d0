"""Real HTTP receivers on loopback that behave like the systems Pulse notifies.

Each receiver is an HTTP server in a thread of its own, on ``127.0.0.1`` and a port of its
own, that records every request and answers the way the real service does (the replies each notifier
plugin's README lists): the tests of a notifier plugin send real requests to it and assert the exact
payload, the service's error bodies and its rate limiting. Every reply closes its
connection, so ``stop()`` makes the receiver unreachable at once and ``start()`` brings it
back on the same port (for outage and durability tests).

API (all receivers)::

    receiver = ServiceNowReceiver()          # or JiraReceiver, SlackReceiver, TeamsReceiver,
    receiver.start()                         # SplunkReceiver, or Receiver for a plain 200
    receiver.url                             # http://127.0.0.1:PORT
    await receiver.wait_for_requests(1)      # the recorded ReceivedRequest list
    receiver.requests                        # every request so far, oldest first
    receiver.script(Reply(429, "rate_limited", {"Retry-After": "2"}))  # next replies, in order
    receiver.delay_s = 30                    # answer only after this long (a hanging receiver)
    receiver.arrivals                        # time.monotonic() of each request, oldest first
    receiver.most_at_once                    # the most requests it was answering at one time
    receiver.stop()                          # also: ``with Receiver() as receiver:``

``receiver.serve_tls(certfile, keyfile)`` (before ``start()``) makes it an HTTPS receiver:
``url`` turns ``https://``, ``connections`` counts the connections it accepted and
``handshake_failures`` holds why each refused handshake failed (a client that does not
trust the certificate shows there, with no request recorded).

``receiver.keep_alive = True`` keeps connections open between requests, like the services do
(by default each one is closed, so that ``stop()`` cuts every client off at once).

Services:

- :class:`ServiceNowReceiver` — Table API: ``POST /api/now/table/incident`` → 201
  ``{"result": {sys_id, number, ...}}``; ``PATCH``/``PUT .../incident/{sys_id}`` updates it;
  errors ``{"error": {message, detail}, "status": "failure"}``; ``incidents`` by sys_id.
- :class:`JiraReceiver` — ``POST /rest/api/{2,3}/issue`` → 201 ``{"id","key","self"}``, 400
  ``{"errorMessages","errors"}`` (v3 wants an ADF ``description``, v2 a string);
  ``POST .../issue/{key}/comment``; ``issues`` by key.
- :class:`SlackReceiver` — incoming webhook: 200 ``ok``; 400 ``invalid_payload`` /
  ``no_text``; with ``rate_limit_per_s``, 429 ``rate_limited`` and ``Retry-After``.
- :class:`TeamsReceiver` — Workflows webhook: 202 for an Adaptive Card message; with
  ``accept_message_card`` the retired connector's ``MessageCard`` gets 200 ``1``; else 400.
- :class:`SplunkReceiver` — HEC: ``Authorization: Splunk <token>``, concatenated JSON
  events (gzip allowed), codes 0/2/3/4/5/6/7/9, ``GET /services/collector/health`` → 17;
  ``busy`` answers 503 code 9; ``events`` holds every accepted event.
"""

from __future__ import annotations

import asyncio
import gzip
import http.server
import itertools
import json
import os
import re
import socket
import ssl
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from pulse_core.testing.listeners import free_tcp_port


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as it arrived (header names in lower case, body decompressed)."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class Reply:
    """An answer: ``body`` bytes, text, or anything else sent as JSON."""

    status: int
    body: Any = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json"


class Receiver:
    """An HTTP server on loopback answering 200 to everything; subclasses answer like a service."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_tcp_port()
        self.keep_alive = False
        self.requests: list[ReceivedRequest] = []
        self.arrivals: list[float] = []
        self.most_at_once = 0
        self._answering = 0
        self.delay_s = 0.0
        self._scripted: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._tls: ssl.SSLContext | None = None
        self.connections = 0
        self.handshake_failures: list[str] = []

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def serve_tls(self, certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str]) -> None:
        """Serve HTTPS with this certificate and key (call before :meth:`start`)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile, keyfile)
        self._tls = context

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._server is not None:
            return
        server = _Server(("127.0.0.1", self.port), _handler_for(self), self)
        server.daemon_threads = True
        threading.Thread(
            target=server.serve_forever, name=f"receiver-{self.port}", daemon=True
        ).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.shutdown()
            server.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- behaviour ----------------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        """Answer the next requests with ``replies``, in order, before the normal behaviour."""
        with self._lock:
            self._scripted.extend(replies)

    def handle(self, request: ReceivedRequest) -> Reply:
        """The service's answer to ``request``; override in subclasses."""
        return Reply(200, "ok")

    async def wait_for_requests(
        self, count: int, timeout_s: float = 10.0
    ) -> list[ReceivedRequest]:
        """The recorded requests once there are at least ``count``; fails after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{type(self).__name__} got {len(self.requests)} request(s), "
                    f"expected {count} within {timeout_s:g} s"
                )
            await asyncio.sleep(0.02)
        return list(self.requests)

    def _answer(self, request: ReceivedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.arrivals.append(time.monotonic())
            self._answering += 1
            self.most_at_once = max(self.most_at_once, self._answering)
            scripted = self._scripted.popleft() if self._scripted else None
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            return scripted if scripted is not None else self.handle(request)
        finally:
            with self._lock:
                self._answering -= 1


class _Server(http.server.ThreadingHTTPServer):
    """Counts the connections it accepts; with TLS, shakes hands in each connection's thread
    and records a refused handshake instead of printing a traceback."""

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[http.server.BaseHTTPRequestHandler],
        receiver: Receiver,
    ) -> None:
        self.receiver = receiver
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self.receiver._lock:
            self.receiver.connections += 1
        return connection, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        context = self.receiver._tls
        if context is None:
            super().finish_request(request, client_address)
            return
        try:
            wrapped = context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            with self.receiver._lock:
                self.receiver.handshake_failures.append(str(error))
            return
        with wrapped:
            super().finish_request(wrapped, client_address)


def _handler_for(receiver: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        #: headers and body leave in two writes: with Nagle's algorithm the body would wait
        #: for the client's delayed ACK of the headers (40 ms on Linux) on a kept connection
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.headers.get("Content-Encoding", "").lower() == "gzip":
                body = gzip.decompress(body)
            path, _, query = self.path.partition("?")
            request = ReceivedRequest(
                self.command,
                path,
                query,
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            reply = receiver._answer(request)
            payload, content_type = reply.encoded()
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            if not receiver.keep_alive:
                self.send_header("Connection", "close")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            self.close_connection = not receiver.keep_alive

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``receiver.requests`` instead."""

    return Handler


def _json_or_none(request: ReceivedRequest) -> Any:
    try:
        return request.json()
    except (ValueError, UnicodeDecodeError):
        return None


# -- ServiceNow ---------------------------------------------------------------------------------
class ServiceNowReceiver(Receiver):
    """The Table API of a ServiceNow instance, for the ``incident`` table."""

    TABLE_PATH = "/api/now/table/incident"

    def __init__(
        self, port: int | None = None, authorization: str | None = None
    ) -> None:
        super().__init__(port)
        self.authorization = authorization
        self.incidents: dict[str, dict[str, Any]] = {}
        self._numbers = itertools.count(10001)

    @property
    def incident_url(self) -> str:
        return self.url + self.TABLE_PATH

    def handle(self, request: ReceivedRequest) -> Reply:
        if (
            self.authorization
            and request.headers.get("authorization") != self.authorization
        ):
            return _servicenow_error(
                401, "User Not Authenticated", "Required to provide Auth information"
            )
        fields = _json_or_none(request)
        if not isinstance(fields, dict):
            return _servicenow_error(
                400, "Exception while reading request", "Invalid JSON body"
            )
        if request.method == "POST" and request.path == self.TABLE_PATH:
            sys_id = uuid.uuid4().hex
            record = {
                **fields,
                "sys_id": sys_id,
                "number": f"INC{next(self._numbers):07d}",
            }
            record.setdefault("state", "1")
            self.incidents[sys_id] = record
            return Reply(
                201, {"result": record}, {"Location": f"{self.incident_url}/{sys_id}"}
            )
        match = re.fullmatch(
            re.escape(self.TABLE_PATH) + r"/([0-9a-f]{32})", request.path
        )
        if request.method in ("PATCH", "PUT") and match:
            existing = self.incidents.get(match.group(1))
            if existing is None:
                return _servicenow_error(
                    404,
                    "No Record found",
                    "Record doesn't exist or ACL restricts the record retrieval",
                )
            existing.update(fields)
            return Reply(200, {"result": existing})
        return _servicenow_error(
            400, "Invalid table", f"{request.method} {request.path}"
        )


def _servicenow_error(status: int, message: str, detail: str) -> Reply:
    return Reply(
        status, {"error": {"message": message, "detail": detail}, "status": "failure"}
    )


# -- Jira -------------------------------------------------------------------------------------
class JiraReceiver(Receiver):
    """Jira Cloud's issue and comment endpoints, REST v2 and v3."""

    def __init__(
        self,
        port: int | None = None,
        projects: frozenset[str] = frozenset({"NET"}),
        authorization: str | None = None,
    ) -> None:
        super().__init__(port)
        self.projects = projects
        self.authorization = authorization
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[Any]] = {}
        self._ids = itertools.count(10001)

    def issue_url(self, version: int = 3) -> str:
        return f"{self.url}/rest/api/{version}/issue"

    def handle(self, request: ReceivedRequest) -> Reply:
        if (
            self.authorization
            and request.headers.get("authorization") != self.authorization
        ):
            return Reply(
                401, {"errorMessages": ["You are not authenticated."], "errors": {}}
            )
        document = _json_or_none(request)
        if not isinstance(document, dict):
            return _jira_error({}, ["Unexpected character in the request body."])
        create = re.fullmatch(r"/rest/api/([23])/issue", request.path)
        if request.method == "POST" and create:
            return self._create(int(create.group(1)), document)
        comment = re.fullmatch(
            r"/rest/api/([23])/issue/([A-Z][A-Z0-9]*-\d+)/comment", request.path
        )
        if request.method == "POST" and comment:
            key = comment.group(2)
            if key not in self.issues:
                return Reply(
                    404,
                    {
                        "errorMessages": [
                            "Issue does not exist or you do not have permission to see it."
                        ],
                        "errors": {},
                    },
                )
            if "body" not in document:
                return _jira_error({"comment": "Comment body can not be empty!"})
            self.comments.setdefault(key, []).append(document["body"])
            return Reply(201, {"id": str(next(self._ids)), "body": document["body"]})
        return Reply(
            404, {"errorMessages": ["null for uri: " + request.path], "errors": {}}
        )

    def _create(self, version: int, document: dict[str, Any]) -> Reply:
        fields = document.get("fields")
        if not isinstance(fields, dict):
            return _jira_error({}, ["No 'fields' in the request."])
        errors: dict[str, str] = {}
        project = fields.get("project")
        if not isinstance(project, dict) or project.get("key") not in self.projects:
            errors["project"] = "valid project is required"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        if not isinstance(fields.get("issuetype"), dict):
            errors["issuetype"] = "valid issue type is required"
        description = fields.get("description")
        if version == 3 and description is not None and not _is_adf(description):
            errors["description"] = (
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            )
        if (
            version == 2
            and description is not None
            and not isinstance(description, str)
        ):
            errors["description"] = "Operation value must be a string"
        if errors:
            return _jira_error(errors)
        issue_id = str(next(self._ids))
        key = f"{project['key']}-{len(self.issues) + 1}"  # type: ignore[index]
        self.issues[key] = fields
        return Reply(
            201,
            {
                "id": issue_id,
                "key": key,
                "self": f"{self.url}/rest/api/{version}/issue/{issue_id}",
            },
        )


def _is_adf(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
    )


def _jira_error(errors: dict[str, str], messages: list[str] | None = None) -> Reply:
    return Reply(400, {"errorMessages": messages or [], "errors": errors})


# -- Slack ------------------------------------------------------------------------------------
class SlackReceiver(Receiver):
    """A Slack incoming webhook (any path)."""

    def __init__(
        self, port: int | None = None, rate_limit_per_s: float | None = None
    ) -> None:
        super().__init__(port)
        self.rate_limit_per_s = rate_limit_per_s
        self.messages: list[dict[str, Any]] = []
        self._last_accepted = 0.0

    def handle(self, request: ReceivedRequest) -> Reply:
        message = _json_or_none(request)
        if request.method != "POST" or not isinstance(message, dict):
            return Reply(400, "invalid_payload")
        if (
            not message.get("text")
            and not message.get("blocks")
            and not message.get("attachments")
        ):
            return Reply(400, "no_text")
        now = time.monotonic()
        if (
            self.rate_limit_per_s
            and now - self._last_accepted < 1 / self.rate_limit_per_s
        ):
            wait = 1 / self.rate_limit_per_s - (now - self._last_accepted)
            return Reply(429, "rate_limited", {"Retry-After": str(max(1, round(wait)))})
        self._last_accepted = now
        self.messages.append(message)
        return Reply(200, "ok")


# -- Teams ------------------------------------------------------------------------------------
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


class TeamsReceiver(Receiver):
    """A Teams Workflows webhook (202, proves nothing about delivery, like the real one)."""

    def __init__(
        self, port: int | None = None, accept_message_card: bool = False
    ) -> None:
        super().__init__(port)
        self.accept_message_card = accept_message_card
        self.messages: list[dict[str, Any]] = []

    def handle(self, request: ReceivedRequest) -> Reply:
        message = _json_or_none(request)
        if not isinstance(message, dict):
            return _teams_error("The request body is not valid JSON.")
        if message.get("@type") == "MessageCard":
            if not self.accept_message_card:
                return _teams_error(
                    "Office 365 connectors are retired: post an Adaptive Card."
                )
            self.messages.append(message)
            return Reply(200, "1")
        attachments = message.get("attachments")
        if (
            message.get("type") != "message"
            or not isinstance(attachments, list)
            or not attachments
            or not all(_is_adaptive_attachment(item) for item in attachments)
        ):
            return _teams_error("Expected a message with Adaptive Card attachments.")
        self.messages.append(message)
        return Reply(202, b"")


def _is_adaptive_attachment(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and item.get("contentType") == ADAPTIVE_CARD
        and isinstance(item.get("content"), dict)
        and item["content"].get("type") == "AdaptiveCard"
    )


def _teams_error(message: str) -> Reply:
    return Reply(400, {"error": {"code": "InvalidRequestContent", "message": message}})


# -- Splunk HEC -------------------------------------------------------------------------------
class SplunkReceiver(Receiver):
    """A Splunk HTTP Event Collector."""

    def __init__(
        self,
        port: int | None = None,
        token: str = "hec-token",
        indexes: frozenset[str] | None = None,
    ) -> None:
        super().__init__(port)
        self.token = token
        self.indexes = indexes
        self.busy = False
        self.events: list[dict[str, Any]] = []

    @property
    def collector_url(self) -> str:
        return self.url + "/services/collector"

    def handle(self, request: ReceivedRequest) -> Reply:
        if request.method == "GET" and request.path == "/services/collector/health":
            return _hec(200, "HEC is healthy", 17)
        if request.path not in ("/services/collector", "/services/collector/event"):
            return _hec(404, "The requested URL was not found on this server.", 404)
        authorization = request.headers.get("authorization")
        if not authorization:
            return _hec(401, "Token is required", 2)
        scheme, _, token = authorization.partition(" ")
        if scheme != "Splunk" or not token:
            return _hec(401, "Invalid authorization", 3)
        if token != self.token:
            return _hec(403, "Invalid token", 4)
        if self.busy:
            return _hec(503, "Server is busy", 9)
        events, error = _hec_events(request.text, self.indexes)
        if error is not None:
            return error
        self.events.extend(events)
        return _hec(200, "Success", 0)


def _hec(status: int, text: str, code: int, **extra: Any) -> Reply:
    return Reply(status, {"text": text, "code": code, **extra})


def _hec_events(
    text: str, indexes: frozenset[str] | None
) -> tuple[list[dict[str, Any]], Reply | None]:
    """The concatenated events of a batch (not an array), or the error HEC answers."""
    decoder = json.JSONDecoder()
    events: list[dict[str, Any]] = []
    position = 0
    text = text.strip()
    if not text:
        return [], _hec(400, "No data", 5)
    while position < len(text):
        try:
            event, position = decoder.raw_decode(text, position)
        except ValueError:
            return [], _hec(
                400, "Invalid data format", 6, **{"invalid-event-number": len(events)}
            )
        if not isinstance(event, dict):
            return [], _hec(
                400, "Invalid data format", 6, **{"invalid-event-number": len(events)}
            )
        if "event" not in event:
            return [], _hec(
                400,
                "Event field is required",
                12,
                **{"invalid-event-number": len(events)},
            )
        if indexes is not None and "index" in event and event["index"] not in indexes:
            return [], _hec(
                400, "Incorrect index", 7, **{"invalid-event-number": len(events)}
            )
        events.append(event)
        while position < len(text) and text[position].isspace():
            position += 1
    return events, None
