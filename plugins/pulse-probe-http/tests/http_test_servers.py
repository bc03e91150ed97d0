"""Real HTTP(S) servers on loopback for the http probe's tests.

A :class:`PageServer` answers each path with a configured :class:`Reply` and records every
request it gets, so tests assert on what actually went over the wire.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: A loopback address of its own, so a test can listen on a well-known port (8443) without
#: colliding with anything else listening on 127.0.0.1.
HTTPS_PORT_TEST_ADDRESS = "127.0.84.43"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    #: header names lower-cased
    headers: Mapping[str, str]


class PageServer(ThreadingHTTPServer):
    daemon_threads = True
    #: room for the conformance suite's burst of connections (the default, 5, drops SYNs)
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], tls: ssl.SSLContext | None = None) -> None:
        super().__init__(address, _ReplyHandler)
        self.tls = tls
        self.replies: dict[str, Reply] = {}
        self.requests: list[RecordedRequest] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def finish_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        """The TLS handshake runs here, in the request's thread, so a client that fails
        it (plain http to a TLS port) never stalls the accept loop."""
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            tls_request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with tls_request:  # the plain socket was detached into it; closing is ours to do
            super().finish_request(tls_request, client_address)


class _ReplyHandler(BaseHTTPRequestHandler):
    server: PageServer

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.requests.append(
            RecordedRequest(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}
            )
        )
        reply = self.server.replies.get(self.path, Reply(404, b"no such page"))
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = _reply

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests assert on ``server.requests`` instead."""


StartPageServer = Callable[..., PageServer]
